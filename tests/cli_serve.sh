# shellcheck shell=bash disable=SC2154  # sourced by tests/cli.sh, which sets $status
# cbench serve: the HTTP/1.1 server the net workload talks to. Starts servers
# on ephemeral ports (127.0.0.1 only), checks the answers (body length and
# content, keep-alive and pipelining, 400 / 404 / 405 / 431), bad options,
# idle timeout, and that SIGTERM / SIGINT stop it with exit 0 and nothing
# left running. Sourced by tests/cli.sh; names are serve_*.
#
# Timing is only ever a generous upper bound. Every server started here is
# recorded in serve_pids and killed by serve_cleanup at the end of the suite,
# whatever failed before (the suite is sourced: the driver's EXIT trap stays).

# serve_raw FILE : sends stdin to the server on one connection and saves all
# it answers until it closes the connection (5 s at most) in FILE. Needs only
# bash's /dev/tcp, so the protocol checks run without curl.
serve_raw() {
    local out=$1
    : >"$out"
    (
        exec 3<>"/dev/tcp/127.0.0.1/$serve_port" || exit 1
        cat >&3
        timeout 5 cat <&3 >"$out"
    ) 2>/dev/null
}

# serve_expect_raw NAME PATTERN COUNT : the last serve_raw answer holds
# PATTERN (grep -E) exactly COUNT times
serve_expect_raw() {
    local name=$1 pattern=$2 count=$3 got
    got=$(grep -Eo -- "$pattern" "$TMP/serve.raw" | wc -l)
    if [ "$got" -eq "$count" ]; then pass "$name"
    else fail "$name" "expected $count x /$pattern/, got $got" "answer: $(head -c 300 "$TMP/serve.raw")"; fi
}

# serve_body N : the body the server sends for bytes=N ('a' + i % 26)
serve_body() {
    yes abcdefghijklmnopqrstuvwxyz 2>/dev/null | tr -d '\n' | head -c "$1"
}

# serve_stop NAME SIGNAL : SIGNAL stops the server: exit 0 within 2 s
# (checked every 50 ms), process gone, nothing on its stderr
serve_stop() {
    local name=$1 sig=$2 pid=$serve_pid st _
    kill "-$sig" "$pid" 2>/dev/null
    for _ in $(seq 40); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        fail "$name" "still running 2 s after SIG$sig"
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return
    fi
    wait "$pid"
    st=$?
    if [ "$st" -eq 0 ] && [ ! -s "$TMP/serve.err" ]; then pass "$name"
    else fail "$name" "exit $st" "stderr: $(head -c 300 "$TMP/serve.err")"; fi
}

# --- usage: bad values exit 2 with the value named, nothing started --------
expect_error 2 'port.*"abc"' "serve: --port abc -> exit 2, names the value" serve --port abc
expect_error 2 'port.*70000' "serve: --port 70000 -> exit 2, names the value" serve --port 70000
expect_error 2 '"0\.5x"' "serve: --idle-timeout 0.5x -> exit 2" serve --idle-timeout 0.5x
expect_error 2 'loops.*0' "serve: --loops 0 -> exit 2" serve --loops 0
expect_error 2 'needs a value' "serve: --port without a value -> exit 2" serve --port
expect_error 2 '"--nope"' "serve: unknown option -> exit 2" serve --nope
run_cbench serve --help
if [ "$status" -eq 0 ] && grep -q 'usage: cbench serve' "$TMP/out"; then pass "serve: --help -> usage, exit 0"
else fail "serve: --help" "exit $status" "$(head -c 300 "$TMP/out")"; fi
# --model: a bad name is bad usage, naming the models that serve (from the list)
expect_error 2 "not a model that serves \\(one of: $(echo "$SERVE_MODELS" | xargs | sed 's/ /, /g')\\)" \
    "serve: --model nope -> exit 2 with the list of models that serve" serve --model nope
for serve_model in $SERVE_MODELS; do
    run_cbench serve --model "$serve_model" --help
    if [ "$status" -eq 0 ] && grep -q "^  $serve_model .*per connection\\|^  $serve_model .*event loop" "$TMP/out" &&
       grep -q 'header-timeout' "$TMP/out"; then
        pass "serve --model $serve_model --help: states how it holds a connection and its limit"
    else
        fail "serve --model $serve_model --help" "exit $status" "$(head -c 600 "$TMP/out")"
    fi
    expect_error 2 '"--nope"' "serve --model $serve_model: unknown option -> exit 2" serve --model "$serve_model" --nope
done

# --- the protocol, under the libev server and every model that serves -----
# serve_protocol LABEL MODEL : the checks below against `cbench serve` with
# one loop (MODEL "": the libev server; else --model MODEL, with --loops 1
# where it has loops)
serve_protocol() {
    local serve_label=$1
    local -a serve_args serve_args2
    read -ra serve_args <<<"$(serve_args_for "$2" 1)"
    read -ra serve_args2 <<<"$(serve_args_for "$2" 2)"
    if ! serve_start "${serve_args[@]}"; then
        fail "serve$serve_label: starts and prints its port" "no 'listening on' line" \
            "stdout: $(head -c 300 "$TMP/serve.out")" "stderr: $(head -c 300 "$TMP/serve.err")"
    else
        pass "serve$serve_label: starts and prints its port ($serve_port)"
        serve_url="http://127.0.0.1:$serve_port"

        if command -v curl >/dev/null; then
            serve_body 100000 >"$TMP/serve.expected"
            serve_code=$(curl -s --max-time 10 -o "$TMP/serve.body" -w '%{http_code}' "$serve_url/?bytes=100000")
            if [ "$serve_code" = 200 ] && cmp -s "$TMP/serve.body" "$TMP/serve.expected"; then
                pass "serve$serve_label: 200 with 100000 body bytes, byte i = 'a' + i % 26"
            else
                fail "serve$serve_label: 200 with a 100000-byte body" "status ${serve_code:-none}, got $(wc -c <"$TMP/serve.body") bytes" \
                    "starts: $(head -c 40 "$TMP/serve.body")"
            fi
            # Two URLs on one curl: the second must reuse the first connection.
            serve_connects=$(curl -s --max-time 10 -o /dev/null -o /dev/null -w '%{num_connects} ' \
                "$serve_url/?bytes=10" "$serve_url/?bytes=20")
            if [ "$serve_connects" = "1 0 " ]; then pass "serve$serve_label: keep-alive (curl: 2 requests, 1 connection)"
            else fail "serve$serve_label: keep-alive" "connections opened per request: '$serve_connects' (expected '1 0 ')"; fi
            serve_code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$serve_url/?bytes=abc")
            if [ "$serve_code" = 400 ]; then pass "serve$serve_label: ?bytes=abc -> 400"
            else fail "serve$serve_label: ?bytes=abc -> 400" "got ${serve_code:-no answer}"; fi
            serve_code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$serve_url/?delay_ms=60001")
            if [ "$serve_code" = 400 ]; then pass "serve$serve_label: ?delay_ms=60001 (over the limit) -> 400"
            else fail "serve$serve_label: ?delay_ms=60001 -> 400" "got ${serve_code:-no answer}"; fi
        else
            skip "serve$serve_label: curl checks" "curl is not installed"
        fi

        # Pipelining: three requests in one write, answered in order.
        printf 'GET /?bytes=5 HTTP/1.1\r\nHost: t\r\n\r\nGET /?delay_ms=50&bytes=6 HTTP/1.1\r\nHost: t\r\n\r\nGET /?bytes=7 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' |
            serve_raw "$TMP/serve.raw"
        serve_expect_raw "serve$serve_label: 3 pipelined requests -> 3 answers" 'HTTP/1\.1 200 OK' 3
        if tr -d '\r' <"$TMP/serve.raw" | grep -a '^Content-Length' | tr '\n' ' ' | grep -q '^Content-Length: 5 Content-Length: 6 Content-Length: 7 $'; then
            pass "serve$serve_label: pipelined bodies 5, 6, 7 bytes in order"
        else
            fail "serve$serve_label: pipelined bodies in order" "$(grep -a '^Content-Length' "$TMP/serve.raw" | tr -d '\r' | tr '\n' ' ')"
        fi

        # A request that arrives while the previous answer is delayed waits its
        # turn (the server watches the socket during the delay, see conn_io_cb).
        { printf 'GET /?delay_ms=300&bytes=8 HTTP/1.1\r\nHost: t\r\n\r\n'; sleep 0.1
          printf 'GET /?bytes=9 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'; } | serve_raw "$TMP/serve.raw"
        if tr -d '\r' <"$TMP/serve.raw" | grep -a '^Content-Length' | tr '\n' ' ' | grep -q '^Content-Length: 8 Content-Length: 9 $'; then
            pass "serve$serve_label: a request sent during a delayed answer is answered after it"
        else
            fail "serve$serve_label: request during a delay" "$(grep -a '^Content-Length' "$TMP/serve.raw" | tr -d '\r' | tr '\n' ' ')"
        fi

        # A client that closes during a delay leaves its socket readable (EOF)
        # until the answer is due: the server must stop watching it, not spin.
        # A spinning loop burns the whole second; an idle one next to nothing.
        serve_cpu_before=$(awk '{print $14 + $15}' "/proc/$serve_pid/stat")
        ( exec 3<>"/dev/tcp/127.0.0.1/$serve_port" && printf 'GET /?delay_ms=1000 HTTP/1.1\r\nHost: t\r\n\r\n' >&3 ) 2>/dev/null
        sleep 1.2
        serve_cpu_ticks=$(( $(awk '{print $14 + $15}' "/proc/$serve_pid/stat") - serve_cpu_before ))
        if [ "$serve_cpu_ticks" -lt 30 ]; then pass "serve$serve_label: client gone during a delay -> no busy loop ($serve_cpu_ticks ticks)"
        else fail "serve$serve_label: client gone during a delay" "server used $serve_cpu_ticks clock ticks in 1.2 s"; fi

        printf 'GARBAGE\r\n\r\n' | serve_raw "$TMP/serve.raw"
        serve_expect_raw "serve$serve_label: malformed request -> 400 and close" '^HTTP/1\.1 400 ' 1

        serve_big=$(head -c 9216 /dev/zero | tr '\0' x)
        printf 'GET / HTTP/1.1\r\nHost: t\r\nX-Big: %s\r\n\r\n' "$serve_big" | serve_raw "$TMP/serve.raw"
        serve_expect_raw "serve$serve_label: 9 KiB header -> 431 and close" '^HTTP/1\.1 431 ' 1

        printf 'GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n' | serve_raw "$TMP/serve.raw"
        serve_expect_raw "serve$serve_label: unknown path -> 404" '^HTTP/1\.1 404 ' 1
        printf 'POST / HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc' | serve_raw "$TMP/serve.raw"
        serve_expect_raw "serve$serve_label: POST -> 405" '^HTTP/1\.1 405 ' 1
        printf 'GET /?bytes=3 HTTP/1.0\r\n\r\n' | serve_raw "$TMP/serve.raw"
        serve_expect_raw "serve$serve_label: HTTP/1.0 -> answered, then closed" '^HTTP/1\.1 200 OK' 1

        # A delayed answer must not hold up others: while one connection waits
        # 10 s for its answer, a second one is answered (within 5 s).
        if exec {serve_slow}<>"/dev/tcp/127.0.0.1/$serve_port"; then
            printf 'GET /?delay_ms=10000 HTTP/1.1\r\nHost: t\r\n\r\n' >&"$serve_slow"
            printf 'GET /?bytes=4 HTTP/1.1\r\nConnection: close\r\n\r\n' | serve_raw "$TMP/serve.raw"
            serve_expect_raw "serve$serve_label: a 10 s delay does not block other connections" '^HTTP/1\.1 200 OK' 1
            exec {serve_slow}>&-
        else
            fail "serve$serve_label: delay does not block" "cannot connect to 127.0.0.1:$serve_port"
        fi

        # The port is taken: a second server says so and exits 1 (not 0, not a hang).
        timeout 10 "$CBENCH" serve --port "$serve_port" "${serve_args2[@]}" >"$TMP/out" 2>"$TMP/err"
        status=$?
        if [ "$status" -eq 1 ] && grep -q "$serve_port" "$TMP/err"; then pass "serve$serve_label: port in use -> exit 1, names the port"
        else fail "serve$serve_label: port in use -> exit 1" "exit $status" "stderr: $(head -c 300 "$TMP/err")"; fi

        serve_stop "serve$serve_label: SIGTERM -> exit 0 within 2 s, no process left" TERM
    fi
}

serve_protocol "" ""
for serve_model in $SERVE_MODELS; do
    serve_protocol " --model $serve_model" "$serve_model"
done

# --- several loops sharing the port (SO_REUSEPORT), idle timeout, SIGINT ---
# serve_loops LABEL MODEL : the libev server and every event-loop model that
# serves, with 3 loops
serve_loops() {
    local serve_label=$1
    local -a serve_args
    read -ra serve_args <<<"$(serve_args_for "$2" 3)"
    if ! serve_start "${serve_args[@]}" --idle-timeout 0.5; then
        fail "serve$serve_label --loops 3: starts" "stdout: $(head -c 300 "$TMP/serve.out")" "stderr: $(head -c 300 "$TMP/serve.err")"
    else
        serve_ok=0
        for serve_i in 1 2 3 4 5 6; do
            printf 'GET /?bytes=%d HTTP/1.1\r\nConnection: close\r\n\r\n' "$serve_i" | serve_raw "$TMP/serve.raw"
            grep -q '^HTTP/1\.1 200 OK' "$TMP/serve.raw" && serve_ok=$((serve_ok + 1))
        done
        if [ "$serve_ok" -eq 6 ]; then pass "serve$serve_label --loops 3: 6 connections, 6 answers"
        else fail "serve$serve_label --loops 3: 6 connections" "$serve_ok answered"; fi

        # A silent connection is closed after --idle-timeout (0.5 s; we wait 5).
        : | serve_raw "$TMP/serve.raw"
        serve_idle=$?
        if [ "$serve_idle" -eq 0 ]; then pass "serve$serve_label: silent connection closed after --idle-timeout"
        else fail "serve$serve_label: silent connection closed after --idle-timeout" "still open after 5 s (status $serve_idle)"; fi

        serve_stop "serve$serve_label --loops 3: SIGINT -> exit 0 within 2 s, no process left" INT
    fi
}

serve_loops "" ""
for serve_model in $SERVE_MODELS; do
    case " $EVENT_LOOP_MODELS " in *" $serve_model "*) serve_loops " --model $serve_model" "$serve_model" ;; esac
done

serve_cleanup
