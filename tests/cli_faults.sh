# shellcheck shell=bash disable=SC2154  # sourced by tests/cli.sh, which sets $status
# Faults (issue 14): a server that never answers or announces a terabyte,
# memory and process limits, a full disk, a worker killed from outside, the
# server killed mid-run, stdin closed, hostile numbers. Every case must end
# in time with its exit status and a message, and leave nothing running.
# A case that cannot run here prints "skip" and is not counted as passed.
# Sourced by tests/cli.sh.

faults_tag="faults-$$"
export CBENCH_TEST_TAG="$faults_tag"

# faults_no_leftovers NAME : no cbench process of this suite is alive
faults_no_leftovers() {
    local pids
    pids=$(tagged_pids "$faults_tag" | tr '\n' ' ')
    if [ -z "$pids" ]; then pass "$1"
    else fail "$1" "left alive: $pids" "$(ps -o pid,ppid,stat,args -p "${pids// /,}0" 2>/dev/null)"; fi
}

# faults_timed SECONDS ARGS... : cbench ARGS under a hard `timeout`, leaves
# $status (124: it hung), $faults_ms (elapsed) and $TMP/out, $TMP/err
faults_timed() {
    local limit=$1 t0
    shift
    t0=$(date +%s%N)
    timeout -s KILL "$limit" "$CBENCH" "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
    faults_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# A test server (python3 stdlib, 127.0.0.1 only): "silent" accepts and never
# reads nor answers; "huge" answers every connection with a Content-Length of
# a terabyte (the headers alone first) and 3 bytes, then stalls; "trickle"
# sends a 1024-byte response a byte every 200 ms.
cat >"$TMP/faults_server.py" <<'EOF'
import socket, sys, threading, time
mode = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0 if mode == "noaccept" else 256)
print(s.getsockname()[1], flush=True)
held = []
while mode == "noaccept":   # a full backlog: connect() gets no answer
    time.sleep(1)
def trickle(c):
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n")
        for _ in range(1024):
            time.sleep(0.2)
            c.sendall(b"x")
    except OSError:
        pass
while True:
    c, _ = s.accept()
    held.append(c)
    if mode == "trickle":
        threading.Thread(target=trickle, args=(c,), daemon=True).start()
    if mode == "huge":
        c.settimeout(2)
        try:
            c.recv(4096)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")
            time.sleep(0.05)
            c.sendall(b"abc")
        except OSError:
            pass
EOF

# faults_server MODE : starts the test server; sets faults_port
faults_server() {
    port_server_start python3 "$TMP/faults_server.py" "$1"
    faults_port=$port_server_port
}

faults_server_stop() {
    port_server_stop
}

# ---- every wait is bounded: a server that never answers ----

# every model of this build, so a new one is covered without editing here
faults_models=$("$CBENCH" list | awk '$1 == "model" { print $2 }')
if command -v python3 >/dev/null && faults_server silent && [ -n "$faults_port" ]; then
    for model in $faults_models; do
        faults_timed 15 run "$model" net --connect "127.0.0.1:$faults_port" -n 2 --requests 1 \
            --timeout-ms 300 -f json
        errors=$(jq -r .errors "$TMP/out" 2>/dev/null)
        if [ "$status" -eq 1 ] && [ "${errors:-0}" -ge 1 ] && grep -q 'timeout' "$TMP/err" &&
           jq -e '.checksum == null and (.note | test("timeout"))' "$TMP/out" >/dev/null &&
           [ "$faults_ms" -lt 15000 ]; then
            pass "silent server under $model: exit 1 in $faults_ms ms, errors $errors, timeout named"
        else
            fail "silent server under $model" "exit $status after $faults_ms ms, errors ${errors:-?}" \
                "stderr: $(head -c 300 "$TMP/err")" "stdout: $(head -c 300 "$TMP/out")"
        fi
    done
    faults_no_leftovers "silent server: no process left behind"
    # threads --gil waits in poll(), not in recv(): bounded too
    faults_timed 15 run threads net --gil --connect "127.0.0.1:$faults_port" -n 2 --requests 1 --timeout-ms 300
    if [ "$status" -eq 1 ] && grep -q 'timeout' "$TMP/err"; then pass "silent server under threads --gil: exit 1, timeout"
    else fail "silent server under threads --gil" "exit $status after $faults_ms ms" "$(head -c 300 "$TMP/err")"; fi
    faults_server_stop

    faults_server huge
    for model in $faults_models; do
        faults_timed 15 run "$model" net --connect "127.0.0.1:$faults_port" -n 2 --requests 1 -f json
        if [ "$status" -eq 1 ] && grep -q 'too large' "$TMP/err" &&
           jq -e '.errors >= 1 and .checksum == null and (.note | test("too large"))' "$TMP/out" >/dev/null &&
           [ "$faults_ms" -lt 15000 ]; then
            pass "terabyte Content-Length under $model: exit 1 in $faults_ms ms, 'too large'"
        else
            fail "terabyte Content-Length under $model" "exit $status after $faults_ms ms" \
                "stderr: $(head -c 300 "$TMP/err")" "stdout: $(head -c 300 "$TMP/out")"
        fi
    done
    faults_server_stop
    faults_no_leftovers "huge server: no process left behind"

    # a server that never accepts: connecting is bounded too (the probe's
    # connect under blocking models, a task's under event loops)
    faults_server noaccept
    for model in serial async hybrid uring; do
        faults_timed 15 run "$model" net --connect "127.0.0.1:$faults_port" -n 3 --requests 1 --timeout-ms 300
        if [ "$status" -eq 1 ] && grep -q 'timeout' "$TMP/err" && [ "$faults_ms" -lt 5000 ]; then
            pass "server never accepts under $model: exit 1 in $faults_ms ms, timeout named"
        else
            fail "server never accepts under $model" "exit $status after $faults_ms ms" "$(head -c 300 "$TMP/err")"
        fi
    done
    faults_server_stop

    # a byte every 200 ms: each recv() returns, but the request's deadline holds
    faults_server trickle
    for model in serial async hybrid uring; do
        faults_timed 15 run "$model" net --connect "127.0.0.1:$faults_port" -n 1 --requests 1 --timeout-ms 600
        if [ "$status" -eq 1 ] && grep -q 'timeout' "$TMP/err" && [ "$faults_ms" -lt 3000 ]; then
            pass "trickling server under $model: timeout after $faults_ms ms"
        else
            fail "trickling server under $model" "exit $status after $faults_ms ms" "$(head -c 300 "$TMP/err")"
        fi
    done
    faults_server_stop
else
    printf 'skip silent and huge servers: no python3 or the test server did not start\n'
fi

# ---- the server killed mid-run: errors counted, exit 1, no hang ----

# faults_child_of_run PID : the cbench child (its server, a fork worker) of
# the cbench run that `timeout` PID started, once there is one (5 s at most)
faults_child_of_run() {
    local cb="" child="" _
    for _ in $(seq 50); do
        cb=$(pgrep -P "$1" -x cbench | head -n1)
        [ -n "$cb" ] && child=$(pgrep -P "$cb" -x cbench | head -n1)
        [ -n "$child" ] && break
        sleep 0.1
    done
    echo "$child"
}

# The server cbench starts is its child; kill it while requests wait out a
# 3 s delay.
for model in serial hybrid async uring; do
    timeout -s KILL 20 "$CBENCH" run "$model" net -n 3 --requests 2 --delay-ms 3000 -f json \
        >"$TMP/out" 2>"$TMP/err" &
    faults_client=$!
    faults_srv=$(faults_child_of_run "$faults_client")
    sleep 0.5
    [ -n "$faults_srv" ] && kill -KILL "$faults_srv"
    wait "$faults_client"
    status=$?
    if [ -n "$faults_srv" ] && [ "$status" -eq 1 ] && grep -q 'closed by the server\|reset' "$TMP/err" &&
       jq -e '.errors >= 1 and .checksum == null' "$TMP/out" >/dev/null; then
        pass "own server killed mid-run under $model: exit 1, errors counted, cause named"
    else
        fail "own server killed mid-run under $model" "server pid ${faults_srv:-not found}, exit $status" \
            "stderr: $(head -c 300 "$TMP/err")" "stdout: $(head -c 300 "$TMP/out")"
    fi
done
faults_no_leftovers "server killed: no process left behind"

# ---- memory: libev's allocator must not abort ----

if ( ulimit -v 20000 && exec "$CBENCH" --version ) >/dev/null 2>&1; then
    ( ulimit -v 20000 && exec timeout -s KILL 20 "$CBENCH" run async sleep -n 100000 --ms 10 ) \
        >"$TMP/out" 2>"$TMP/err"
    status=$?
    if [ "$status" -eq 1 ] && grep -q 'out of memory' "$TMP/err"; then
        pass "ulimit -v 20000, async 100,000 tasks: exit 1, 'out of memory'"
    else
        fail "ulimit -v 20000, async 100,000 tasks" "exit $status (134 = SIGABRT)" "stderr: $(head -c 300 "$TMP/err")"
    fi
    # a run that did print a result must not show a checksum for it
    if [ -s "$TMP/out" ] && grep -q '^  checksum    [0-9a-f]' "$TMP/out"; then
        fail "ulimit -v: no checksum printed for a failed run" "$(cat "$TMP/out")"
    else
        pass "ulimit -v: no checksum printed for a failed run"
    fi
else
    printf 'skip ulimit -v 20000: %s cannot start under the limit (a sanitizer build?)\n' "$CBENCH"
fi

# ---- processes: more workers than the user or the machine allows ----

# Checked before the first worker starts (issue 22 E): exit 2, nothing run,
# the limit named and a smaller -n that fits, which then runs. Root ignores
# RLIMIT_NPROC, so as root the runs drop to nobody, whose processes and
# threads count, and every run is under a low ulimit -u: a missing check
# fails a test, it cannot take the machine down.
if [ "$(id -u)" -eq 0 ]; then
    faults_as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
else
    faults_as_user=()
fi
# faults_nproc ULIMIT_U ARGS... : cbench ARGS as that user under ulimit -u
faults_nproc() {
    local limit=$1
    shift
    # shellcheck disable=SC2016  # $1 belongs to the inner bash
    "${faults_as_user[@]}" bash -c 'ulimit -u "$1" && shift && exec timeout -s KILL 20 "$@"' \
        _ "$limit" "$CBENCH" "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
}
if "${faults_as_user[@]}" "$CBENCH" --version >/dev/null 2>&1; then
    for model in threads fork; do
        faults_nproc 200 run "$model" sleep -n 1000 --ms 50 -f json
        faults_fits=$(sed -n 's/.*use -n \([0-9][0-9]*\) or fewer.*/\1/p' "$TMP/err")
        if [ "$status" -eq 2 ] && grep -q 'RLIMIT_NPROC (ulimit -u) is 200' "$TMP/err" &&
           [ ! -s "$TMP/out" ] && [ -n "$faults_fits" ]; then
            pass "$model -n 1000 under ulimit -u 200: refused up front (exit 2), the limit and -n $faults_fits named"
            faults_nproc 200 run "$model" sleep -n "$faults_fits" --ms 50 -f json
            if [ "$status" -eq 0 ] && jq -e ".errors == 0 and .workers_started == $faults_fits" "$TMP/out" >/dev/null; then
                pass "$model -n $faults_fits (the -n it named) runs under ulimit -u 200"
            else
                fail "$model -n $faults_fits under ulimit -u 200" "exit $status" "stderr: $(head -c 300 "$TMP/err")"
            fi
        else
            fail "$model -n 1000 under ulimit -u 200: refused up front" "exit $status" \
                "stderr: $(head -c 300 "$TMP/err")" "stdout: $(head -c 300 "$TMP/out")"
        fi
    done
    # beyond kernel.pid_max (and threads-max): refused whoever runs it
    faults_pid_max=$(cat /proc/sys/kernel/pid_max)
    if [ "$faults_pid_max" -lt 1000000 ]; then
        for model in fork threads; do
            faults_nproc 200 run "$model" sleep -n "$((faults_pid_max + 1))" --ms 50
            if [ "$status" -eq 2 ] && grep -Eq 'kernel\.(pid_max|threads-max) is' "$TMP/err" &&
               grep -Eq 'use -n [0-9]+ or fewer' "$TMP/err" && [ ! -s "$TMP/out" ]; then
                pass "$model -n $((faults_pid_max + 1)), beyond kernel.pid_max: refused up front (exit 2)"
            else
                fail "$model -n $((faults_pid_max + 1)), beyond kernel.pid_max" "exit $status" \
                    "stderr: $(head -c 300 "$TMP/err")"
            fi
        done
    else
        skip "-n beyond kernel.pid_max" "pid_max $faults_pid_max is beyond the largest -n"
    fi
    faults_no_leftovers "worker limits: nothing left running"
else
    skip "workers beyond ulimit -u and pid_max" "${faults_as_user[*]:-this user} cannot run $CBENCH"
fi

# ---- descriptors: the up-front check refuses exactly what would not fit ----

faults_fds() {   # LIMIT ARGS... : cbench ARGS under ulimit -n LIMIT
    local limit=$1
    shift
    ( ulimit -n "$limit" && exec timeout -s KILL 30 "$CBENCH" "$@" ) >"$TMP/out" 2>"$TMP/err"
    status=$?
}
faults_fds 64 run serial net -n 300 --requests 1
if [ "$status" -eq 0 ]; then pass "ulimit -n 64: serial net -n 300 runs (one connection at a time)"
else fail "ulimit -n 64: serial net -n 300" "exit $status" "$(head -c 300 "$TMP/err")"; fi
faults_fds 64 run fork net -n 40 -w 4 --requests 1
if [ "$status" -eq 0 ]; then pass "ulimit -n 64: fork net -n 40 -w 4 runs (one connection per worker)"
else fail "ulimit -n 64: fork net -n 40 -w 4" "exit $status" "$(head -c 300 "$TMP/err")"; fi
faults_fds 64 run threads net -n 40 -w 8 --requests 1
if [ "$status" -eq 0 ]; then pass "ulimit -n 64: threads net -n 40 -w 8 runs (its pool at once)"
else fail "ulimit -n 64: threads net -n 40 -w 8" "exit $status" "$(head -c 300 "$TMP/err")"; fi
# Refused as bad usage (exit 2, nothing run), naming a smaller -n or -w;
# following what it names (the client's, then the server's it starts) runs.
for variant in "threads" "async" "hybrid" "fork" "threads -w 200"; do
    read -r -a faults_words <<<"$variant"   # the model, then its -w
    faults_fds 64 run "${faults_words[0]}" net "${faults_words[@]:1}" -n 300 --requests 1 -f json
    if [ "$status" -eq 2 ] && grep -q 'file descriptors' "$TMP/err" && [ ! -s "$TMP/out" ] &&
       grep -Eq 'use -[nw] [0-9]+ or fewer' "$TMP/err"; then
        pass "ulimit -n 64: $variant net -n 300 refused up front (exit 2), a smaller -n or -w named"
    else
        fail "ulimit -n 64: $variant net -n 300 refused up front" "exit $status" "$(head -c 300 "$TMP/err")"
    fi
    faults_next=("${faults_words[@]:1}" -n 300)
    for _ in 1 2; do
        faults_option=$(sed -n 's/.*use \(-[nw]\) [0-9]* or fewer.*/\1/p' "$TMP/err")
        faults_value=$(sed -n 's/.*use -[nw] \([0-9]*\) or fewer.*/\1/p' "$TMP/err")
        if [ "$status" -ne 2 ] || [ -z "$faults_value" ]; then break; fi
        faults_next+=("$faults_option" "$faults_value")
        faults_fds 64 run "${faults_words[0]}" net "${faults_next[@]}" --requests 1
    done
    if [ "$status" -eq 0 ]; then pass "ulimit -n 64: $variant net with the ${faults_next[*]} it named runs"
    else fail "ulimit -n 64: $variant net ${faults_next[*]} (as named)" "exit $status" "$(head -c 300 "$TMP/err")"; fi
done
# each extra event loop holds descriptors of its own
faults_fds 64 run async sleep -n 40 --ms 1 --loops 30
if [ "$status" -eq 2 ] && grep -q 'file descriptors' "$TMP/err"; then
    pass "ulimit -n 64: async --loops 30 refused (each loop holds descriptors)"
else
    fail "ulimit -n 64: async --loops 30" "exit $status" "$(head -c 300 "$TMP/err")"
fi
faults_fds 64 run async sleep -n 20 --ms 1 --loops 10
if [ "$status" -eq 0 ]; then pass "ulimit -n 64: async --loops 10 runs"
else fail "ulimit -n 64: async --loops 10" "exit $status" "$(head -c 300 "$TMP/err")"; fi

# ---- output: a write error is a failure ----

if [ -w /dev/full ]; then
    "$CBENCH" run serial sleep -n 1 --ms 1 >/dev/full 2>"$TMP/err"
    status=$?
    if [ "$status" -eq 1 ] && grep -q 'write error' "$TMP/err"; then pass "> /dev/full: exit 1, 'write error'"
    else fail "> /dev/full" "exit $status" "$(head -c 300 "$TMP/err")"; fi
    "$CBENCH" list >/dev/full 2>"$TMP/err"
    status=$?
    if [ "$status" -eq 1 ] && grep -q 'write error' "$TMP/err"; then pass "list > /dev/full: exit 1"
    else fail "list > /dev/full" "exit $status" "$(head -c 300 "$TMP/err")"; fi
else
    printf 'skip > /dev/full: no writable /dev/full\n'
fi
"$CBENCH" run serial sleep -n 1 --ms 1 >&- 2>"$TMP/err"
status=$?
if [ "$status" -eq 1 ] && grep -q 'write error' "$TMP/err"; then pass "stdout closed: exit 1, 'write error'"
else fail "stdout closed" "exit $status" "$(head -c 300 "$TMP/err")"; fi
# ... but a closed stderr with nothing to say is no error (as coreutils)
"$CBENCH" run serial sleep -n 1 --ms 1 >/dev/null 2>&-
status=$?
if [ "$status" -eq 0 ]; then pass "stderr closed, nothing to write: exit 0"
else fail "stderr closed, nothing to write" "exit $status"; fi

# ---- a fork worker killed from outside ----

for format in json csv human; do
    timeout -s KILL 20 "$CBENCH" run fork sleep -n 3 --ms 3000 -f "$format" >"$TMP/out" 2>"$TMP/err" &
    faults_client=$!
    faults_worker=$(faults_child_of_run "$faults_client")
    sleep 0.3
    [ -n "$faults_worker" ] && kill -KILL "$faults_worker"
    wait "$faults_client"
    status=$?
    case $format in
        json) faults_ok=$(jq -e '.errors >= 1 and .checksum == null and (.note | test("killed by signal 9"))' "$TMP/out" >/dev/null && echo y) ;;
        csv) faults_ok=$(awk -F, 'NR == 2 && $15 >= 1 && $16 == "-" { print "y" }' "$TMP/out") ;;
        human) faults_ok=$(grep -q '^  checksum    -$' "$TMP/out" && grep -Eq '^  errors      [1-9]' "$TMP/out" && echo y) ;;
    esac
    if [ -n "$faults_worker" ] && [ "$status" -eq 1 ] && [ "$faults_ok" = y ] && grep -q 'killed by signal' "$TMP/err"; then
        pass "fork worker SIGKILLed ($format): exit 1, errors counted, checksum invalid"
    else
        fail "fork worker SIGKILLed ($format)" "worker ${faults_worker:-not found}, exit $status" \
            "stderr: $(head -c 300 "$TMP/err")" "stdout: $(head -c 400 "$TMP/out")"
    fi
done
faults_no_leftovers "fork worker killed: the others were stopped and reaped"

# A task's error makes the checksum invalid in every format too.
run_cbench run threads sleep -n 3 --ms 1 --fail-task 1 -f csv
if [ "$status" -eq 1 ] && awk -F, 'NR == 2 { exit !($15 >= 1 && $16 == "-") }' "$TMP/out"; then
    pass "a task error: CSV checksum is -"
else
    fail "a task error: CSV checksum is -" "exit $status" "$(cat "$TMP/out")"
fi

# ---- kill -9 of cbench leaves no fork worker (PR_SET_PDEATHSIG) ----

"$CBENCH" run fork sleep -n 4 --ms 5000 >/dev/null 2>&1 &
faults_client=$!
for _ in $(seq 50); do
    [ "$(pgrep -P "$faults_client" -x cbench | wc -l)" -ge 4 ] && break
    sleep 0.1
done
faults_workers=$(pgrep -P "$faults_client" -x cbench | wc -l)
kill -KILL "$faults_client"
wait "$faults_client" 2>/dev/null
for _ in $(seq 20); do [ -z "$(tagged_pids "$faults_tag")" ] && break; sleep 0.1; done
if [ "$faults_workers" -ge 4 ]; then faults_no_leftovers "kill -9 of cbench: its $faults_workers fork workers died with it"
else fail "kill -9 of cbench" "only $faults_workers workers seen"; fi

# ---- SIGTERM stops a run: workers and server at once, a message, exit 1 ----

# faults_sigterm NAME KIND MIN ARGS... : `cbench run ARGS` gets SIGTERM once
# it holds MIN KIND (children: its server and fork workers; threads); it
# must end within 5 s, exit 1 with "stopped by SIGTERM" and no checksum,
# and leave no process behind (every child reaped, the server stopped).
faults_sigterm() {
    local name=$1 kind=$2 min=$3 cb="" held=0 t0 ms left _
    shift 3
    timeout -s KILL 60 "$CBENCH" run "$@" -f json >"$TMP/out" 2>"$TMP/err" &
    local client=$!
    for _ in $(seq 200); do   # 20 s at most to start, however loaded the machine
        [ -z "$cb" ] && cb=$(pgrep -P "$client" -x cbench | head -n1)
        if [ -n "$cb" ]; then
            case $kind in
                children) held=$(pgrep -P "$cb" | wc -l) ;;
                threads) held=$(find "/proc/$cb/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) ;;
            esac
            [ "$held" -ge "$min" ] && break
        fi
        sleep 0.1
    done
    t0=$(date +%s%N)
    [ -n "$cb" ] && kill -TERM "$cb"
    wait "$client"
    status=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    left=$(tagged_pids "$faults_tag" | tr '\n' ' ')
    if [ "$held" -ge "$min" ] && [ "$status" -eq 1 ] && [ "$ms" -lt 5000 ] \
        && grep -qx 'cbench: stopped by SIGTERM' "$TMP/err" \
        && jq -e '.checksum == null and (.note | test("stopped by SIGTERM"))' "$TMP/out" >/dev/null \
        && [ -z "$left" ]; then
        pass "SIGTERM to $name: exit 1 in ${ms} ms, said so, no checksum, nothing left"
    else
        fail "SIGTERM to $name" "held $held $kind (of $min), exit $status after $ms ms, left: ${left:-none}" \
            "stderr: $(head -c 300 "$TMP/err")" "stdout: $(head -c 300 "$TMP/out")"
    fi
}

# 100 worker processes blocked in recv() and the server child
faults_sigterm "fork net -n 100" children 101 fork net -n 100 --requests 100000
# 50 threads in a 60 s sleep
faults_sigterm "threads sleep -n 50" threads 51 threads sleep -n 50 --ms 60000

# ---- stdin closed: fd 0 is a real descriptor, not "no fd" ----

faults_sum=$("$CBENCH" run serial net -n 3 --requests 2 -f json 2>/dev/null | jq -r .checksum)
for model in $faults_models; do
    "$CBENCH" run "$model" net -n 3 --requests 2 -f json <&- >"$TMP/out" 2>"$TMP/err"
    status=$?
    if [ "$status" -eq 0 ] && [ "$(jq -r '"\(.errors) \(.checksum)"' "$TMP/out")" = "0 $faults_sum" ]; then
        pass "stdin closed: $model net runs, same checksum"
    else
        fail "stdin closed: $model net" "exit $status, serial $faults_sum" "stdout: $(head -c 300 "$TMP/out")" \
            "stderr: $(head -c 300 "$TMP/err")"
    fi
done
faults_pp=$("$CBENCH" run threads pingpong -n 4 --count 50 -f json 2>/dev/null | jq -r .checksum)
run_cbench run async pingpong -n 4 --count 50 -f json <&-
if [ "$status" -eq 0 ] && [ "$(jq -r .checksum "$TMP/out")" = "$faults_pp" ]; then pass "stdin closed: pingpong runs"
else fail "stdin closed: pingpong" "exit $status" "$(head -c 300 "$TMP/err")"; fi

# ---- strict numbers and arguments: exit 2, nothing run ----

expect_usage "strict: --ms 0x1p3" '--ms: "0x1p3" is not a number' run serial sleep --ms 0x1p3
expect_usage "strict: --ms 1e3" '--ms: "1e3" is not a number' run serial sleep --ms 1e3
expect_usage "strict: --ms +5" '--ms: "\+5" is not a number' run serial sleep --ms +5
expect_usage "strict: --ms infinity" '--ms: "infinity" is not a number' run serial sleep --ms infinity
expect_usage "strict: -n +3" '--tasks: "\+3" is not a whole number' run serial sleep -n +3
expect_usage "strict: -n 0x10" '--tasks: "0x10" is not a whole number' run serial sleep -n 0x10
expect_usage "strict: -n ' 3'" '--tasks: " 3" is not a whole number' run serial sleep -n ' 3'
expect_usage "strict: --connect host:+80" '--connect: "\+80" is not a whole number' run async net --connect 127.0.0.1:+80
expect_usage "strict: --connect host:65536" '--connect: 65536 is out of range' run async net --connect 127.0.0.1:65536
expect_usage "strict: --connect host:0x50" '--connect: "0x50" is not a whole number' run async net --connect 127.0.0.1:0x50
expect_usage "strict: --timeout-ms 1.5" '--timeout-ms: "1\.5" is not a whole number' run async net --timeout-ms 1.5
expect_usage "strict: --timeout-ms -1" '--timeout-ms: -1 is out of range' run async net --timeout-ms -1
expect_usage "strict: list extra" 'list: unexpected argument' list extra
expect_usage "strict: --version extra" '--version takes no arguments' --version extra
expect_usage "strict: --help extra" '--help takes no arguments' --help extra
expect_usage "strict: run --help extra" '--help takes no arguments' run --help extra
run_cbench run serial chess --move-ms 0.5 --moves 1 -n 1
if [ "$status" -eq 0 ]; then pass "strict: --move-ms 0.5 is still a number"
else fail "strict: --move-ms 0.5" "exit $status" "$(head -c 300 "$TMP/err")"; fi
if "$CBENCH" --help | grep -q -- '--timeout-ms N'; then pass "--help documents --timeout-ms"
else fail "--help documents --timeout-ms"; fi

faults_no_leftovers "faults: no process left behind by any run of this suite"
export -n CBENCH_TEST_TAG
unset CBENCH_TEST_TAG
