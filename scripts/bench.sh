#!/bin/bash
# bench.sh - run the cbench experiment matrix in rounds and keep every number.
#
#   scripts/bench.sh              full matrix (about 30 min on 2 cores)
#   QUICK=1 scripts/bench.sh      reduced matrix (about 5 min)
#   env: CBENCH (default build/cbench), RESULTS_ROOT (default results),
#        EXPERIMENTS (a subset of: sleep cpu net-slow net-fast crossover
#        net-hide net-wrk net-loops net-rate serve spawn spawn-mem pingpong mixed
#        chess queue chain cancel instrument; default all), ROUNDS (planned rounds, default 5,
#        QUICK 3), BUDGET (seconds of extra rounds for the regimes still
#        undecided, default 120, QUICK 0), SEED (shuffle
#        seed, default from the date), SERVER=HOST:PORT (every net
#        experiment against a `cbench serve` already running elsewhere),
#        SERVER_CPUS / CLIENT_CPUS (cpu lists for taskset; default: the
#        cores split in two halves), DRY_RUN=1 (print the plan, run nothing),
#        PYTHON=0 (leave out the Python series, scripts/bench_python.sh),
#        PYTHON_BIN (the interpreter, default /usr/bin/python3 or python3)
#
# How a configuration is measured. The plan is a list of configurations,
# "SERIES k=v ...": configurations of one experiment with the same knobs
# form a group, whose series (models, or a model with an option) are
# compared. The matrix runs ROUNDS times; in every round each group's
# series run once each, one after another, in an order shuffled with the
# recorded SEED. A machine whose speed drifts (shared, noisy) then moves
# both sides of a comparison alike, and the analysis judges the median of
# the per-round ratios (scripts/analyze.py, docs/DESIGN.md).
#
# Every run goes through hyperfine (one timed run, -N: no shell) with
# cbench's CSV row kept (--output): cbench times its model alone, hyperfine
# the whole process. The HTTP server of the net experiments is started
# here, once, pinned to SERVER_CPUS, and net clients (cbench, wrk) are
# pinned to CLIENT_CPUS, so that client and server do not fight over the
# same cores; the server's CPU time per run is read from /proc.
#
# Writes RESULTS_ROOT/<YYYY-MM-DD>-<host>[-K]/ (whole or not at all):
#   runs.csv     one row per run: experiment, round, cbench's CSV row,
#                config, exit (124 = killed by the deadline), process_s
#                (hyperfine), steal_pct and idle_pct (/proc/stat during the
#                run), server_cpu_s, placement
#   list.json    `cbench list --format json`: the models and workloads
#   meta.txt     machine, versions, settings, seed, load, calibration, every
#                command
#   bench.log    stderr of failed runs, skips
#   REPORT.md and charts, from scripts/analyze.py report
set -eu -o pipefail
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
RESULTS_ROOT=${RESULTS_ROOT:-results}
CBENCH=${CBENCH:-build/cbench}
ALL_EXPERIMENTS="sleep cpu net-slow net-fast crossover net-hide net-wrk net-loops net-rate serve spawn spawn-mem pingpong mixed chess queue chain cancel instrument"
EXPERIMENTS=${EXPERIMENTS:-$ALL_EXPERIMENTS}
WRK=${WRK:-wrk}
SERVER=${SERVER:-}

started_at=$EPOCHSECONDS   # the whole run's time: probing, rounds, analysis
die() { echo "bench.sh: $*" >&2; exit 2; }
want() { case " $EXPERIMENTS " in *" $1 "*) return 0 ;; esac; return 1; }   # want EXPERIMENT
[ -x "$CBENCH" ] || die "$CBENCH is not an executable (run make first, or set CBENCH)"
for tool in hyperfine python3 jq awk timeout flock taskset; do
    command -v "$tool" >/dev/null || die "$tool is not installed (see scripts/deps.sh)"
done
for e in $EXPERIMENTS; do
    case " $ALL_EXPERIMENTS " in *" $e "*) ;; *) die "EXPERIMENTS: unknown experiment \"$e\" (known: $ALL_EXPERIMENTS)" ;; esac
done
if [ -n "$SERVER" ]; then
    [[ $SERVER =~ ^[^:]+:[0-9]+$ ]] || die "SERVER: \"$SERVER\" is not HOST:PORT"
fi

cores=$(nproc)
day=$(date +%F)   # the folder is named after the day the bench started
BUDGET_DEFAULT=0   # 1: BUDGET is the default, which the Python series share
[ -n "${BUDGET:-}" ] || BUDGET_DEFAULT=1
if [ "$QUICK" = 1 ]; then
    mode=quick
    ROUNDS=${ROUNDS:-3}
    BUDGET=${BUDGET:-0}            # a quick look: no extra rounds
    TARGET_S=0.15                  # aim for runs this long (cpu, net)
    CAP_S=2.5                      # skip configurations predicted longer
    RUN_TIMEOUT=120                # a run longer than this is killed (exit 124)
    SLEEP_N="3"
    CPU_N="$((2 * cores))"
    SLOW_C="1000"
    SLOW_REQUESTS=5
    FAST_C="1 16"
    GRID_C="1 100" GRID_D="0 10"   # n=1000 serial alone took 2.5 s a run
else
    mode=full
    ROUNDS=${ROUNDS:-5}
    BUDGET=${BUDGET:-120}          # seconds of extra rounds for undecided regimes
    # 0.25 s runs: the noise here follows CPU steal, not run length (vm-3:
    # rank correlation 0.65 with steal), and the time saved pays for the
    # A/A control and the extra rounds of BUDGET within 25 minutes
    TARGET_S=0.25
    CAP_S=4
    RUN_TIMEOUT=600
    SLEEP_N="3 10000 100000"       # 100 told nothing 3 and 10,000 do not
    CPU_N=$(printf '%s\n' 1 "$cores" $((2 * cores)) $((4 * cores)) | sort -nu | tr '\n' ' ')
    SLOW_C="100 1000 10000"
    SLOW_REQUESTS=10               # 0.5 s of 50 ms answers a connection: 20
                                   # took ~1 min more, which the Python row
                                   # and the serve experiment need
    FAST_C="1 2 4 8 16"
    # delay 0, 1 and 50 ms: the two ends and the step where threads lose
    # to a loop; 10 ms and 10 connections too made the full run 3 minutes
    # longer than 25
    GRID_C="1 100 1000" GRID_D="0 1 50"
fi
if ! [[ $ROUNDS =~ ^[0-9]+$ ]] || [ "$ROUNDS" -lt 1 ]; then die "ROUNDS: \"$ROUNDS\" is not a whole number ≥ 1"; fi
[[ $BUDGET =~ ^[0-9]+$ ]] || die "BUDGET: \"$BUDGET\" is not a whole number of seconds"
# The analysis: which families take the A/A control, and which regimes are
# still undecided (ANALYZE: a stand-in for tests).
read -r -a ANALYZE <<<"${ANALYZE:-python3 scripts/analyze.py}"
SEED=${SEED:-$(date +%Y%m%d)}
[[ $SEED =~ ^[0-9]+$ ]] || die "SEED: \"$SEED\" is not a whole number"
SLEEP_MS=1000
NET_DELAY_SLOW=50

# Client and server on their own cores: the first half for the client, the
# second for the server (one each on 2 cores). One core: nothing to split.
user_client_cpus=${CLIENT_CPUS:-}
half=$(((cores + 1) / 2))
if [ "$cores" -ge 2 ]; then
    CLIENT_CPUS=${CLIENT_CPUS:-0-$((half - 1))}
    SERVER_CPUS=${SERVER_CPUS:-$half-$((cores - 1))}
else
    CLIENT_CPUS=${CLIENT_CPUS:-} SERVER_CPUS=${SERVER_CPUS:-}
fi
cpu_count() {  # cpu_count LIST : how many CPUs a taskset list names
    python3 -c 'import sys
n = 0
for part in sys.argv[1].split(","):
    lo, _, hi = part.partition("-")
    n += int(hi or lo) - int(lo) + 1
print(n)' "$1"
}
for v in CLIENT_CPUS SERVER_CPUS; do
    [ -z "${!v}" ] || [[ ${!v} =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] ||
        die "$v: \"${!v}\" is not a CPU list (e.g. 0 or 0-3 or 0,2)"
done

# One bench at a time: two at once change each other's figures.
mkdir -p "$RESULTS_ROOT"
exec 9>"$RESULTS_ROOT/.bench.lock"
if ! flock -n 9; then
    echo "bench.sh: another make bench is running on this machine (lock $RESULTS_ROOT/.bench.lock);" \
        "two at once would change each other's figures. Wait for it to finish, or stop it." >&2
    exit 1
fi
# We hold the lock, so a .tmp- folder left here is from a bench that died.
for stale in "$RESULTS_ROOT"/.tmp-*; do
    [ -e "$stale" ] || continue
    echo "bench.sh: removing $stale, left by a bench that was killed"
    rm -rf "$stale"
done

# Many connections need many descriptors (client and server side).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

tmp=$(mktemp -d "$RESULTS_ROOT/.tmp-XXXXXX")
chmod 755 "$tmp"
# Every run goes through bg_run: in the background, under timeout (a hung
# run is killed, then its process group), waited for with `wait`, which a
# trapped signal interrupts at once.
child="" server_pid=""
bg_run() {  # bg_run OUT ERR SECONDS CMD... : sets status
    local out=$1 err=$2 secs=$3
    shift 3
    status=0
    timeout -k 5 "$secs" "$@" >"$out" 2>"$err" &
    child=$!
    wait "$child" || status=$?
    child=""
}
stop_server() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
stop_child() {
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    stop_server
    if declare -F serve_stop >/dev/null; then serve_stop; fi   # a serve run's own server
}
# Interrupted or failed: the run is stopped and nothing half-written is left.
trap 'stop_child; if [ -n "$tmp" ]; then rm -rf "$tmp"; fi' EXIT
trap 'echo; echo "bench.sh: interrupted, removing $tmp" >&2; exit 130' INT
trap 'echo "bench.sh: terminated, removing $tmp" >&2; exit 143' TERM HUP
log() { printf '%s\n' "$*" >>"$tmp/bench.log"; }
note() { printf 'note: %s\n' "$*"; printf 'note: %s\n' "$*" >>"$tmp/notes"; }
: >"$tmp/notes"
: >"$tmp/commands"
: >"$tmp/bench.log"

# fcalc EXPR [VAR=VALUE...] : floating-point arithmetic via awk
fcalc() {
    local expr=$1 assign
    local -a vars=()
    shift
    for assign in "$@"; do vars+=(-v "$assign"); done
    awk "${vars[@]}" "BEGIN { print ($expr) }" </dev/null
}
# csv_field FILE NAME : NAME's value in the data row of cbench CSV output FILE
csv_field() {
    awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
        NR == 2 && c { print $c }' "$1"
}
# metric FILE KEY : KEY's value in the metrics or params column (k=v;k=v)
metric() {
    { csv_field "$1" metrics; csv_field "$1" params; } | tr ';' '\n' | awk -F= -v k="$2" '$1 == k { print $2; exit }'
}
# probe [--pinned] ARGS... : run cbench once, output in $tmp/probe.out, sets
# probe_status; --pinned: on the clients' CPUs, as the net runs it sizes are
probe() {
    local -a prefix=()
    if [ "$1" = --pinned ]; then prefix=("${client_prefix[@]}"); shift; fi
    printf 'probe: %s%s %s\n' "${prefix[*]}" "${prefix[*]:+ }$CBENCH" "$*" >>"$tmp/commands"
    bg_run "$tmp/probe.out" "$tmp/probe.err" 60 "${prefix[@]}" "$CBENCH" "$@"
    probe_status=$status
}
# net_probe MODEL C DELAY_MS REQUESTS [ARGS...] : one closed-loop net run
# against the server, pinned as the runs are; sets probe_rate to its
# requests/s (the steady phase, connecting left out, when the run reports
# it), or to nothing when the run failed
net_probe() {
    local m=$1 c=$2 d=$3 q=$4
    shift 4
    probe --pinned run "$m" net -n "$c" --delay-ms "$d" --requests "$q" "$@" --connect "$TARGET" --format csv
    probe_rate=$(metric "$tmp/probe.out" steady_req_per_s)
    [ -n "$probe_rate" ] || probe_rate=$(csv_field "$tmp/probe.out" ops_per_s)
    [ "$probe_status" -eq 0 ] || probe_rate=""
}

# --- what this cbench has: models, their traits, workloads -------------------
echo "bench.sh: $mode matrix with $CBENCH, $cores cores, $ROUNDS rounds; probing..."
"$CBENCH" list --format json >"$tmp/list.json" 2>"$tmp/probe.err" ||
    die "$CBENCH list --format json failed: $(head -c 300 "$tmp/probe.err")"
# models_where EXPR : names of the models for which the python EXPR over the
# model's entry `m` (and its option names `opts`) is true, in list order.
# Take the first with `sed -n 1p`, never `head`: head closing the pipe early
# broke python's write now and then, and pipefail stopped the bench.
models_where() {
    python3 - "$tmp/list.json" "$1" <<'EOF'
import json, sys
listing = json.load(open(sys.argv[1]))
for m in listing["models"]:
    opts = set(m.get("options", []))
    if m.get("available", True) and eval(sys.argv[2], {}, {"m": m, "opts": opts}):
        print(m["name"])
EOF
}
has_workload() { python3 -c 'import json,sys; sys.exit(sys.argv[2] not in [w["name"] for w in json.load(open(sys.argv[1]))["workloads"]])' "$tmp/list.json" "$1"; }
# A model this machine cannot run (io_uring disabled...) is left out, said once.
python3 -c 'import json,sys
for m in json.load(open(sys.argv[1]))["models"]:
    if not m.get("available", True):
        print("%s is not available here (%s): it is skipped" % (m["name"], m.get("unavailable", "no reason given")))' \
    "$tmp/list.json" | while IFS= read -r line; do note "$line"; done
MODELS=$(models_where 'True' | tr '\n' ' ')
BASELINE=$(models_where 'm["sequential"]' | sed -n 1p)                 # runs one task at a time
CONCURRENT=$(models_where 'not m["sequential"]' | tr '\n' ' ')
LOOPS=$(models_where '"loops" in opts' | tr '\n' ' ')                 # event loops with --loops
GIL_MODEL=$(models_where '"gil" in opts' | sed -n 1p)                 # Python's lock, emulated
EVENT_LOOP=$(models_where 'm["event_loop"]' | tr '\n' ' ')
SINGLE_LOOP=$(models_where 'm["event_loop"] and not m["workers"]' | sed -n 1p)   # one loop, no pool
# The A/A control (docs/claims.toml): which model runs twice, under which
# second name, in which experiments; left out if this build lacks the model.
CONTROL_FAMILIES=$("${ANALYZE[@]}" families 2>"$tmp/probe.err" | tr '\n' ' ') ||
    die "${ANALYZE[*]} families failed: $(head -c 300 "$tmp/probe.err")"
read -r CONTROL_MODEL CONTROL_SUFFIX < <("${ANALYZE[@]}" control 2>"$tmp/probe.err") ||
    die "${ANALYZE[*]} control failed: $(head -c 300 "$tmp/probe.err")"
case " $MODELS " in *" $CONTROL_MODEL "*) ;; *) CONTROL_MODEL="" ;; esac
if [ -z "$BASELINE" ] || [ -z "$CONCURRENT" ]; then die "cbench list has no sequential or no concurrent model"; fi
GIL_SERIES=""
[ -n "$GIL_MODEL" ] && GIL_SERIES="$GIL_MODEL-gil"
# shellcheck source=scripts/bench_python.sh
. scripts/bench_python.sh
py_discover
has_net=0
if ! want net-slow && ! want net-fast && ! want crossover && ! want net-hide && ! want net-wrk &&
   ! want net-loops && ! want net-rate && ! want instrument; then :
elif has_workload net; then has_net=1
else note "cbench has no net workload: the net experiments are skipped"; fi

# Other work on the machine skews every figure: say so (also in meta.txt).
other=$(pgrep -fc 'cbench (run|serve)' || true)
[ "$other" -gt 0 ] && note "$other other cbench processes are running: results will be noisy"
if awk -v c="$cores" '{ exit !($1 > c / 2) }' /proc/loadavg; then
    note "load average at start is $(cut -d' ' -f1 /proc/loadavg) on $cores cores: results will be noisy"
fi

probe run "$BASELINE" sleep -n 1 --ms 1 --format csv
[ "$probe_status" -eq 0 ] || die "$CBENCH run $BASELINE sleep failed ($probe_status): $(head -c 300 "$tmp/probe.err")"
HEADER=$(head -n 1 "$tmp/probe.out")
for column in model workload tasks wall_s ops ops_per_s errors checksum params metrics; do
    case ",$HEADER," in *",$column,"*) ;; *) die "cbench CSV header lacks \"$column\": $HEADER" ;; esac
done
NF_HEADER=$(awk -F, '{ print NF }' <<<"$HEADER")
EMPTY_ROW=$(awk -F, '{ s = ""; for (i = 2; i <= NF; i++) s = s ","; print s }' <<<"$HEADER")
NOTE_COLUMN=$(awk -F, '{ for (i = 1; i <= NF; i++) if ($i == "note") { print i; exit } print NF }' <<<"$HEADER")
printf 'experiment,round,%s,config,exit,process_s,steal_pct,idle_pct,server_cpu_s,placement\n' "$HEADER" >"$tmp/runs.csv"

# cpu: scale --work so that one task takes about TARGET_S / 3; this is also
# the calibration loop run before and after the matrix.
probe run "$BASELINE" cpu -n 1 --format csv
cpu_ok=0 cpu_args=""
if [ "$probe_status" -eq 0 ]; then
    cpu_ok=1
    work=$(metric "$tmp/probe.out" work)
    wall=$(csv_field "$tmp/probe.out" wall_s)
    work=$(fcalc 'int(w * t / 3 / s + 0.5) < 1 ? 1 : int(w * t / 3 / s + 0.5)' w="$work" t="$TARGET_S" s="$wall")
    cpu_args="--work $work"
    task_s=$(fcalc 't / 3' t="$TARGET_S")
else
    note "cbench run $BASELINE cpu failed ($probe_status): experiment cpu is skipped"
fi
# calibrate : median wall time (ms) of 5 one-task cpu runs: the machine's speed
calibrate() {
    local i
    for i in 1 2 3 4 5; do
        # shellcheck disable=SC2086 # cpu_args is "--work K"
        probe run "$BASELINE" cpu -n 1 $cpu_args --format csv
        csv_field "$tmp/probe.out" wall_s
    done | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f ms (5 runs, median; min %.1f, max %.1f)", v[3] * 1000, v[1] * 1000, v[NR] * 1000 }'
}
calibration_before="not run"
[ "$cpu_ok" = 1 ] && calibration_before=$(calibrate)

# What a worker costs per model (spawn, 200 workers): caps the task counts a
# model is given, so no configuration is predicted longer than CAP_S. The
# fastest of three probes: one probe on a loaded machine read 5x the quiet
# cost, and the matrix (which models run at 10,000 tasks) changed with it.
declare -A WORKER_S
for m in $MODELS; do
    best=""
    for _ in 1 2 3; do
        probe run "$m" spawn -n 200 --format csv
        [ "$probe_status" -eq 0 ] || continue
        wall=$(csv_field "$tmp/probe.out" wall_s)
        best=$(fcalc 'b == "" || w < b ? w : b' w="$wall" b="$best")
    done
    WORKER_S[$m]=$(fcalc 'b == "" ? 0.001 : b / 200' b="$best")
done
py_measure
# max_tasks MODEL : the most workers MODEL creates within CAP_S / 2 (a half:
# with thousands alive at once each costs more than in the probe, 1.3x for
# 10,000 live threads here: 2.2 s for sleep n=10000 --ms 1000 against a
# 91 us probe. A quarter dropped fork spawn n=1000, a size G5 judges, from a
# run whose probe read 1.2 ms a fork, though 1,000 forks took 1.1 s.)
max_tasks() { fcalc 'int(c / 2 / s)' c="$CAP_S" s="${WORKER_S[$1]}"; }
fits() { [ "$2" -le "$(max_tasks "$1")" ]; }   # fits MODEL N

# --- the HTTP server of the net experiments ----------------------------------
placement=""   # for runs.csv: where client and server run
client_prefix=()
server_port=""
# listening_port PID OUT : the port a starting `cbench serve` (PID, its
# stdout in OUT) says it listens on, within 10 s; nothing if it died first
listening_port() {
    local _ port
    for _ in $(seq 100); do
        port=$(sed -n 's/^cbench serve: listening on .*:\([0-9][0-9]*\)$/\1/p' "$2")
        [ -n "$port" ] && { echo "$port"; return 0; }
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
}
start_server() {
    local -a pin=()
    local loops=$cores
    if [ -n "$SERVER_CPUS" ]; then
        pin=(taskset -c "$SERVER_CPUS")
        loops=$(cpu_count "$SERVER_CPUS")
    fi
    printf '%s serve --port 0 --loops %s --idle-timeout 0 (%s)\n' "$CBENCH" "$loops" "${pin[*]:-unpinned}" >>"$tmp/commands"
    "${pin[@]}" "$CBENCH" serve --port 0 --loops "$loops" --idle-timeout 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
    server_pid=$!
    server_port=$(listening_port "$server_pid" "$tmp/serve.out")
    [ -n "$server_port" ] && return 0
    note "cbench serve did not start ($(head -c 200 "$tmp/serve.err" | tr '\n' ' ')): the net experiments are skipped"
    stop_server
    return 1
}
if [ "$has_net" = 1 ]; then
    if [ -n "$SERVER" ]; then
        TARGET=$SERVER
        placement="remote=$SERVER"
        [ -n "$user_client_cpus" ] && client_prefix=(taskset -c "$user_client_cpus")
        note "net experiments run against $SERVER (SERVER=); its CPU time is not measured here"
    else
        start_server || has_net=0
        TARGET="127.0.0.1:$server_port"
        if [ -n "$CLIENT_CPUS" ]; then
            client_prefix=(taskset -c "$CLIENT_CPUS")
            placement="client=$CLIENT_CPUS server=$SERVER_CPUS"
        else
            placement="shared"
            note "one core: client and server share it"
        fi
    fi
fi
if [ "$has_net" = 1 ]; then
    # requests/s one loop reaches against this server, to size the runs
    net_probe "${SINGLE_LOOP:-$BASELINE}" 10 0 200
    net_rate=20000
    if [ -n "$probe_rate" ]; then
        net_rate=$(fcalc 'r < 2000 ? 2000 : r > 200000 ? 200000 : int(r)' r="$probe_rate")
    else
        note "the net probe failed ($probe_status): sizing net runs for $net_rate req/s"
    fi
    # one connection's round trip: what bounds a few connections, far
    # below the many-connection rate (a run sized by that rate alone
    # lasted 7 times its target at 1 connection). Pinned as the runs are:
    # client and server on one core answer each other 3-5 times faster
    # than across two; 2,000 requests, as the first few hundred are slow.
    net_probe "${SINGLE_LOOP:-$BASELINE}" 1 0 2000
    net_rtt_s=$(fcalc '1 / r' r="$net_rate")
    if [ -n "$probe_rate" ]; then
        net_rtt_s=$(fcalc 'r < 100 ? 0.01 : 1 / r' r="$probe_rate")
    fi
fi

# --- the plan: one entry per configuration -----------------------------------
P_EXP=() P_CONFIG=() P_ARGS=() P_EST=() P_NET=() P_SKIP=()
# add EXP CONFIG EST_S ARGS... : plan one configuration; EST_S is the
# predicted seconds of one run (the time-left estimate, and CAP_S)
add() {
    local exp=$1 config=$2 est=$3 net=0
    shift 3
    case " $* " in *" net "*) net=1 ;; esac
    if awk -v e="$est" -v cap="${ADD_CAP:-$CAP_S}" 'BEGIN { exit !(e > cap) }'; then
        log "skip: $exp $config (predicted $(fcalc 'int(e * 10) / 10' e="$est") s per run > ${ADD_CAP:-$CAP_S} s)"
        return 0
    fi
    P_EXP+=("$exp") P_CONFIG+=("$config") P_EST+=("$est") P_ARGS+=("$*") P_NET+=("$net")
    # The A/A control: the control model once more under a second name, the
    # same command, in every group of a which-model-when family (the
    # analysis counts how often noise alone names a winner between them).
    if [ -n "$CONTROL_MODEL" ] && [ "${config%% *}" = "$CONTROL_MODEL" ] &&
        case " $CONTROL_FAMILIES " in *" $exp "*) true ;; *) false ;; esac; then
        P_EXP+=("$exp") P_CONFIG+=("$CONTROL_MODEL$CONTROL_SUFFIX ${config#* }") P_EST+=("$est")
        P_ARGS+=("$*") P_NET+=("$net")
    fi
}
is_baseline() { [ "$1" = "$BASELINE" ]; }
# one_loop_words MODEL : "--loops 1" for a model with --loops (one event loop
# per client, as every net comparison runs it), else nothing
one_loop_words() { case " $LOOPS " in *" $1 "*) echo "--loops 1" ;; esac; }

# net_rate_of C DELAY_MS LOOPS: each of C connections waits DELAY_MS plus a
# round trip per request; the server tops out near net_rate per loop
NET_RATE_AWK='function rate(conc, d, l) { x = conc / (d / 1000 + rtt); return x < r * l ? x : r * l }'
# requests C DELAY_MS : requests per connection so a concurrent run lasts
# about TARGET_S of steady serving; at least 3, so every connection is reused
requests() {
    awk -v t="$TARGET_S" -v c="$1" -v d="$2" -v r="$net_rate" -v rtt="$net_rtt_s" "$NET_RATE_AWK"'
        BEGIN { q = int(t * rate(c, d, 1) / c + 0.999); print (q < 3 ? 3 : q > 100000 ? 100000 : q) }'
}
# add_net EXP SERIES C DELAY_MS [REQUESTS] : plan a net run unless the model cannot take C
add_net() {
    local exp=$1 series=$2 c=$3 d=$4 q=${5:-} model=${2%%-*} est loops=1 conc
    local -a extra=()
    fits "$model" "$c" || { log "skip: $exp $series n=$c (more workers than $model makes in $CAP_S s)"; return 0; }
    [ -n "$q" ] || q=$(requests "$c" "$d")
    case $series in
        *-percore) loops=$((c < cores ? c : cores)); [ "$loops" -gt 1 ] || return 0; extra=(--loops "$loops") ;;
        *-delayed) ;;
        *) read -r -a extra <<<"$(one_loop_words "$model")" ;;
    esac
    conc=$c
    is_baseline "$model" && conc=1
    est=$(awk -v c="$c" -v k="$conc" -v d="$d" -v q="$q" -v l="$loops" -v r="$net_rate" -v rtt="$net_rtt_s" -v s="${WORKER_S[$model]}" \
        "$NET_RATE_AWK"' BEGIN { print c * q / rate(k, d, l) + c * s }')
    add "$exp" "$series n=$c delay=${d}ms" "$est" "$model" net -n "$c" --delay-ms "$d" --requests "$q" "${extra[@]}"
}

if want sleep; then
    for n in $SLEEP_N; do
        for m in $MODELS; do
            fits "$m" "$n" || continue
            est=$(fcalc 'ms / 1000 * (b ? n : 1) + n * s' ms="$SLEEP_MS" b="$(is_baseline "$m" && echo 1 || echo 0)" n="$n" s="${WORKER_S[$m]}")
            # room for the baseline's 3 s at n=3: the classic example (G4)
            ADD_CAP=$(fcalc "c < 4 ? 4 : c" c="$CAP_S") add sleep "$m n=$n" "$est" "$m" sleep -n "$n" --ms "$SLEEP_MS"
        done
    done
fi
if want cpu && [ "$cpu_ok" = 1 ]; then
    for n in $CPU_N; do
        for s in $MODELS $GIL_SERIES; do
            m=${s%%-*} gil=""
            [ "$s" = "$GIL_SERIES" ] && gil="--gil"
            # one core's worth: the baseline, the GIL, a single loop
            if is_baseline "$m" || [ -n "$gil" ] || [ "$m" = "$SINGLE_LOOP" ]; then
                est=$(fcalc 'n * t' n="$n" t="$task_s")
            else
                est=$(fcalc 'int((n + c - 1) / c) * t' n="$n" c="$cores" t="$task_s")
            fi
            # shellcheck disable=SC2086 # cpu_args / gil are option words or empty
            add cpu "$s n=$n" "$est" "$m" cpu -n "$n" $cpu_args $gil
        done
    done
fi
if [ "$has_net" = 1 ]; then
    want net-slow || SLOW_C=""
    want net-fast || FAST_C=""
    want crossover || GRID_C=""
    # Many slow connections: enough requests each that serving, not
    # connecting or creating workers, fills the run (G3), and room for it.
    for c in $SLOW_C; do
        q=$(requests "$c" "$NET_DELAY_SLOW")
        [ "$q" -ge "$SLOW_REQUESTS" ] || q=$SLOW_REQUESTS
        for s in $MODELS; do ADD_CAP=$(fcalc "c * 3" c="$CAP_S") add_net net-slow "$s" "$c" "$NET_DELAY_SLOW" "$q"; done
    done
    for c in $FAST_C; do
        for s in $MODELS; do add_net net-fast "$s" "$c" 0; done
        for m in $LOOPS; do add_net net-fast "$m-percore" "$c" 0; done
    done
    for c in $GRID_C; do
        for d in $GRID_D; do
            for s in $MODELS; do add_net crossover "$s" "$c" "$d"; done
        done
    done
fi
# What a worker costs (spawn, pingpong) and the classic scenarios (mixed,
# chess, queue, chain, cancel), net-hide and net-wrk: planned in their own
# file with the same helpers.
# shellcheck source=scripts/bench_plan.sh
. scripts/bench_plan.sh
plan_cost
plan_scenarios
plan_net_checks
plan_net_loops
plan_net_rate
plan_instrument
plan_python
# shellcheck source=scripts/bench_serve.sh
. scripts/bench_serve.sh
plan_serve
# The Python series' and the serve runs' time comes out of the default
# BUDGET (not one the user set), so that the full run keeps its length (25
# minutes) (down to 60 s; QUICK's default of none stays none)
extra_planned_s=$(fcalc 'p + s' p="$PY_PLANNED_S" s="$SERVE_PLANNED_S")
if [ "${BUDGET_DEFAULT:-0}" = 1 ] && [ "$BUDGET" -gt 60 ] && [ "$extra_planned_s" != 0 ]; then
    BUDGET=$(fcalc 'b - int(p * r + 0.5) < 60 ? 60 : b - int(p * r + 0.5)' b="$BUDGET" p="$extra_planned_s" r="$ROUNDS")
fi

total=${#P_EXP[@]}
[ "$total" -gt 0 ] || die "nothing to run (EXPERIMENTS=\"$EXPERIMENTS\")"
# Groups: configurations of one experiment with the same knobs, compared
# with each other; GROUPS_OF[k] lists their plan indices.
declare -A GROUP_INDEX=()
GROUP_MEMBERS=()
for ((i = 0; i < total; i++)); do
    key="${P_EXP[$i]} ${P_CONFIG[$i]#* }"
    if [ -z "${GROUP_INDEX[$key]+x}" ]; then
        GROUP_INDEX[$key]=${#GROUP_MEMBERS[@]}
        GROUP_MEMBERS+=("")
    fi
    g=${GROUP_INDEX[$key]}
    GROUP_MEMBERS[g]="${GROUP_MEMBERS[g]} $i"
done
est_round=$(printf '%s\n' "${P_EST[@]}" | awk '{ s += $1 + 0.05 } END { printf "%d", s }')
mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

# --- meta.txt: everything needed to judge or redo the run --------------------
git_rev=$(git rev-parse --short=12 HEAD 2>/dev/null || echo "none (no commit)")
# results/ is the bench's own output (an earlier run's folder not yet
# committed), not a change to the code that ran
[ -n "$(git status --porcelain -- . ':!results' 2>/dev/null)" ] && git_rev="$git_rev+dirty"
{
    echo "date: $(date -Iseconds)"
    echo "host: $(hostname)"
    echo "kernel: $(uname -a)"
    echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "cores: $cores"
    echo "memory: $(awk '/^MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)"
    echo "cc: $(gcc --version 2>/dev/null | head -n 1)"
    echo "cbench: $("$CBENCH" --version 2>/dev/null | head -n 1) ($CBENCH)"
    echo "git: $git_rev"
    echo "hyperfine: $(hyperfine --version)"
    { want net-wrk || want serve; } && command -v "$WRK" >/dev/null && echo "wrk: $("$WRK" --version 2>&1 | head -n 1)"
    echo "mode: $mode"
    echo "experiments: $EXPERIMENTS"
    echo "rounds: $ROUNDS"
    echo "budget_s: $BUDGET"
    echo "seed: $SEED"
    echo "settings: target_s=$TARGET_S cap_s=$CAP_S timeout_s=$RUN_TIMEOUT"
    echo "placement: ${placement:-no net experiments}"
    echo "server: ${SERVER:-started by bench.sh: cbench serve pinned to ${SERVER_CPUS:-all cores}}"
    echo "cpu work: ${cpu_args:-default}"
    py_meta
    serve_meta
    echo "net rate estimate: ${net_rate:-none} req/s, one connection's round trip ${net_rtt_s:-none} s (size --requests only)"
    [ -z "$RATE_PROBED" ] || echo "net-rate closed-loop req/s (100 % load): ${RATE_PROBED%; }"
    echo "worker cost: $(for m in $MODELS; do printf '%s=%.1fus ' "$m" "$(fcalc 's * 1e6' s="${WORKER_S[$m]}")"; done)"
    echo "open files limit: $(ulimit -n)"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "other cbench processes at start: $other"
    echo "calibration before: $calibration_before"
    echo "configurations: $total in ${#GROUP_MEMBERS[@]} groups"
    cat "$tmp/notes"
} >"$tmp/meta.txt"

plan_words="$total configurations in ${#GROUP_MEMBERS[@]} groups × $ROUNDS rounds"
echo "bench.sh: $plan_words, about $(mmss $((est_round * ROUNDS))) predicted, then up to $(mmss "$BUDGET") of extra rounds"
if [ "${DRY_RUN:-0}" = 1 ]; then  # show the plan, run nothing
    for ((i = 0; i < total; i++)); do
        printf '%6.2fs  %-10s %-32s %s\n' "${P_EST[$i]}" "${P_EXP[$i]}" "${P_CONFIG[$i]}" "${P_ARGS[$i]}"
    done
    exit 0
fi

# --- run ----------------------------------------------------------------------
# Read between every two runs, so without starting a process.
# cpu_ticks VAR : VAR="busy steal idle", jiffies of all CPUs so far (/proc/stat)
cpu_ticks() {
    local _cpu user nice sys idle iowait irq softirq steal _rest
    read -r _cpu user nice sys idle iowait irq softirq steal _rest </proc/stat
    printf -v "$1" '%s %s %s' $((user + nice + sys + irq + softirq)) "$steal" $((idle + iowait))
}
# server_ticks VAR : VAR=utime + stime of the server we started, in jiffies ("" if none)
server_ticks() {
    local stat="" fields
    [ -n "$server_pid" ] && read -r stat 2>/dev/null <"/proc/$server_pid/stat"
    printf -v "$1" '%s' ""
    [ -n "$stat" ] || return 0
    read -r -a fields <<<"${stat##*) }"   # from field 3 (state) on: utime is 14, stime 15
    printf -v "$1" '%s' $((fields[11] + fields[12]))
}
# share_pct PART TOTAL : PART / TOTAL in percent, one decimal
share_pct() {
    local tenths=$(($2 > 0 ? 1000 * $1 / $2 : 0))
    printf '%d.%d' $((tenths / 10)) $((tenths % 10))
}
HZ=$(getconf CLK_TCK)
ticks0="" ticks1="" srv0="" srv1=""   # set around each run by cpu_ticks and server_ticks

# record EXP ROUND CONFIG STATUS NET : append the run in $tmp/out to runs.csv
record() {
    local exp=$1 round=$2 config=$3 status=$4 net=$5 head="" row="" commas steal idle server=""
    # Builtins only (read, parameter expansion): this runs between every two
    # runs, and each process it started cost the bench seconds in all.
    { IFS= read -r head; IFS= read -r row; } <"$tmp/out" 2>/dev/null || true
    if [ "$head" != "$HEADER" ]; then
        [ -z "$head" ] || log "unexpected output header (expected: $HEADER): $head"
        row=""
    fi
    commas=${row//[^,]/}
    if [ -n "$row" ] && [ $((${#commas} + 1)) -ne "$NF_HEADER" ]; then
        # A comma inside the free-text `note` column would shift the columns
        # after it: fold the extra fields back into note, joined with ';'.
        row=$(awk -F, -v nf="$NF_HEADER" -v k="$NOTE_COLUMN" '{
            extra = NF - nf; s = $1
            for (i = 2; i <= NF; i++) s = s ((extra > 0 && i > k && i <= k + extra) ? ";" : ",") $i
            print s }' <<<"$row")
    fi
    # No row (crash, timeout, refused): empty columns, the exit says why.
    [ -n "$row" ] || row=$EMPTY_ROW
    local -a t0 t1
    read -r -a t0 <<<"$ticks0"
    read -r -a t1 <<<"$ticks1"
    local busy=$((t1[0] - t0[0])) stolen=$((t1[1] - t0[1])) idled=$((t1[2] - t0[2]))
    steal=$(share_pct "$stolen" $((busy + stolen + idled)))
    idle=$(share_pct "$idled" $((busy + stolen + idled)))
    if [ "$net" = 1 ] && [ -n "$srv0" ] && [ -n "$srv1" ]; then
        local ms=$(((srv1 - srv0) * 1000 / HZ))
        printf -v server '%d.%03d' $((ms / 1000)) $((ms % 1000))
    fi
    printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$exp" "$round" "$row" "$config" "$status" "$process_s" \
        "$steal" "$idle" "$server" "$([ "$net" = 1 ] && echo "$placement")" >>"$tmp/runs.csv"
    if [ "$status" -ne 0 ] && [ "$exp" != cancel ]; then   # cancel runs exit 1 by design
        log "exit $status (round $round): $exp $config"
        sed 's/^/    /' "$tmp/err" | head -n 5 >>"$tmp/bench.log"
    fi
}
# hyperfine_result FILE : sets status (cbench's exit) and process_s (seconds)
# from hyperfine's JSON export; status 1 when the file says neither
hyperfine_result() {
    local json="" ws='[[:space:]]*'
    IFS= read -r -d '' json <"$1" 2>/dev/null || true
    status=1 process_s=""
    [[ $json =~ \"exit_codes\":$ws\[$ws(-?[0-9]+) ]] && status=${BASH_REMATCH[1]}
    if [[ $json =~ \"times\":$ws\[$ws([0-9.eE+-]+) ]]; then process_s=${BASH_REMATCH[1]}; else status=1; fi
}
run_one() {
    local i=$1 round=$2 net=${P_NET[$1]} cmd
    local -a args prefix=()
    read -r -a args <<<"${P_ARGS[$i]}"
    if [ "${args[0]}" = "@wrk" ]; then   # the reference client (net-wrk)
        run_wrk "$i" "$round"
        return
    fi
    if [ "${args[0]}" = "@serve" ]; then   # a server model under wrk (bench_serve.sh)
        run_serve "$i" "$round"
        return
    fi
    local -a runner=("$CBENCH" run)
    if [ "${args[0]}" = "@py" ]; then   # the Python row (bench_python.sh)
        runner=("$PYTHON_BIN" "$PY_ENTRY" run)
        args=("${args[@]:1}")
    fi
    [ "$net" = 1 ] && { args+=(--connect "$TARGET"); prefix=("${client_prefix[@]}"); }
    cmd=$(printf '%q ' "${prefix[@]}" "${runner[@]}" "${args[@]}" --format csv)
    cmd=${cmd% }
    printf 'round %s: %s\n' "$round" "$cmd" >>"$tmp/commands"
    : >"$tmp/hf.json"
    cpu_ticks ticks0; server_ticks srv0
    bg_run "$tmp/hf.out" "$tmp/err" "$RUN_TIMEOUT" hyperfine -N -i --runs 1 --style none \
        --output "$tmp/out" --export-json "$tmp/hf.json" "$cmd"
    cpu_ticks ticks1; server_ticks srv1
    [ "$status" -eq 0 ] || : >"$tmp/out"    # killed: hyperfine's file may be partial
    process_s=""
    [ "$status" -ne 0 ] || hyperfine_result "$tmp/hf.json"   # cbench's own exit status and hyperfine's time
    record "${P_EXP[$i]}" "$round" "${P_CONFIG[$i]}" "$status" "$net"
    if [ "$status" -eq 2 ]; then   # bad usage will not improve in a later round
        P_SKIP[i]=1
        log "dropped from later rounds: ${P_EXP[$i]} ${P_CONFIG[$i]} (cbench refused it: exit 2)"
    fi
}

# Shuffled order of a group's members for one round: seeded, reproducible.
shuffle() {  # shuffle ROUND GROUP MEMBERS...
    local round=$1 group=$2
    shift 2
    printf '%s\n' "$@" | awk -v seed="$((SEED * 1000003 + round * 1009 + group))" \
        'BEGIN { srand(seed) } { print rand() "\t" $0 }' | sort -k1,1g | cut -f2
}

# run_round ROUND INDEX... : one round over the given plan entries, each
# group's members in the round's seeded shuffled order; progress says
# "$round_words" and, from runs_done / runs_total, the time left
run_round() {
    local round=$1 g i eta
    shift
    local -A wanted=()
    for i in "$@"; do wanted[$i]=1; done
    for ((g = 0; g < ${#GROUP_MEMBERS[@]}; g++)); do
        # shellcheck disable=SC2086 # the member list splits into indices
        for i in $(shuffle "$round" "$g" ${GROUP_MEMBERS[$g]}); do
            [ -n "${wanted[$i]:-}" ] || continue
            if [ "$runs_done" -gt 0 ] && [ "$runs_total" -gt "$runs_done" ]; then
                eta="elapsed $(mmss "$SECONDS"), ~$(mmss $((SECONDS * (runs_total - runs_done) / runs_done))) left"
            else
                eta="elapsed $(mmss "$SECONDS")"
            fi
            printf '[%s, run %d/%d] %s %s   (%s)\n' "$round_words" $((runs_done + 1)) \
                "$runs_total" "${P_EXP[$i]}" "${P_CONFIG[$i]}" "$eta"
            [ -z "${P_SKIP[$i]:-}" ] && run_one "$i" "$round"
            runs_done=$((runs_done + 1))
        done
    done
}

probing_s=$((EPOCHSECONDS - started_at))
SECONDS=0
runs_total=$((total * ROUNDS)) runs_done=0
all_entries=$(seq 0 $((total - 1)))
for ((round = 1; round <= ROUNDS; round++)); do
    round_words="round $round/$ROUNDS"
    # shellcheck disable=SC2086 # the index list splits into words
    run_round "$round" $all_entries
done

# Extra rounds: BUDGET seconds for the regimes still undecided. The analysis
# says which configurations (the contenders of each undecided regime, most
# promising first); whole groups are taken while their predicted time fits
# what is left. Runs lost to steal (> 10 %) are left out of every decision,
# so their regime comes back here and is measured again. The analysis
# decides only at fixed looks with a stricter level each (alpha spending),
# so these rounds cannot manufacture a winner (docs/DESIGN.md).
declare -A PLAN_INDEX=()
for ((i = 0; i < total; i++)); do PLAN_INDEX["${P_EXP[$i]}"$'\t'"${P_CONFIG[$i]}"]=$i; done
extra_rounds=0 extra_runs=0 extra_start=$SECONDS extra_note=""
planned_s=$SECONDS
# pick_pending LEFT_S : PICKED=(plan indices) from $tmp/pending, whole groups
# in the given order while their predicted seconds fit LEFT_S
pick_pending() {
    local left=$1 exp config i key group="" groups_s=0 group_s=0
    local -a group_entries=()
    PICKED=()
    while IFS=$'\t' read -r exp config; do
        key="$exp"$'\t'"$config"
        i=${PLAN_INDEX[$key]:-}
        if [ -z "$i" ]; then log "pending: no such configuration in the plan: $exp $config"; continue; fi
        [ -z "${P_SKIP[$i]:-}" ] || continue
        if [ "$exp ${config#* }" != "$group" ]; then
            if [ ${#group_entries[@]} -gt 0 ] && awk -v a="$groups_s" -v b="$group_s" -v l="$left" 'BEGIN { exit !(a + b <= l) }'; then
                PICKED+=("${group_entries[@]}") groups_s=$(fcalc 'a + b' a="$groups_s" b="$group_s")
            fi
            group="$exp ${config#* }" group_entries=() group_s=0
        fi
        group_entries+=("$i") group_s=$(fcalc 'a + e + 0.05' a="$group_s" e="${P_EST[$i]}")
    done <"$tmp/pending"
    if [ ${#group_entries[@]} -gt 0 ] && awk -v a="$groups_s" -v b="$group_s" -v l="$left" 'BEGIN { exit !(a + b <= l) }'; then
        PICKED+=("${group_entries[@]}")
    fi
}
while [ "$BUDGET" -gt 0 ] && [ "$extra_rounds" -lt 200 ]; do
    left=$((BUDGET - (SECONDS - extra_start)))
    [ "$left" -gt 0 ] || break
    if ! timeout 120 "${ANALYZE[@]}" pending "$tmp" >"$tmp/pending" 2>"$tmp/pending.err"; then
        extra_note="the analysis could not say which regimes are undecided ($(head -c 200 "$tmp/pending.err" | tr '\n' ' ')): no more extra rounds"
        echo "bench.sh: $extra_note" >&2
        break
    fi
    pick_pending "$left"
    [ ${#PICKED[@]} -gt 0 ] || break
    extra_rounds=$((extra_rounds + 1)) extra_runs=$((extra_runs + ${#PICKED[@]}))
    runs_total=$((runs_done + ${#PICKED[@]}))
    round_words="extra round $extra_rounds, budget left $(mmss "$left")"
    run_round $((ROUNDS + extra_rounds)) "${PICKED[@]}"
done
extra_s=$((SECONDS - extra_start))
rm -f "$tmp/pending" "$tmp/pending.err"
stop_server

calibration_after="not run"
[ "$cpu_ok" = 1 ] && calibration_after=$(calibrate)
"$CBENCH" --version >/dev/null   # still there
rm -f "$tmp/out" "$tmp/err" "$tmp/hf.json" "$tmp/hf.out" "$tmp/probe.out" "$tmp/probe.err" \
    "$tmp/notes" "$tmp/serve.out" "$tmp/serve.err"
{
    echo "extra rounds: $extra_rounds ($extra_runs runs, $extra_s s of a $BUDGET s budget)"
    [ -z "$extra_note" ] || echo "note: $extra_note"
    echo "calibration after: $calibration_after"
    echo "finished: $(date -Iseconds)"
    echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "duration_s: $SECONDS"
    echo "phases: probing ${probing_s} s, planned rounds ${planned_s} s, extra rounds ${extra_s} s (analysis follows)"
    echo "commands:"
    sed 's/^/  /' "$tmp/commands"
} >>"$tmp/meta.txt"
rm -f "$tmp/commands"

# Charts and REPORT.md go in before the rename, so the folder appears whole.
echo "bench.sh: drawing charts and writing REPORT.md"
python3 scripts/analyze.py report "$tmp" >>"$tmp/bench.log" 2>&1 ||
    echo "bench.sh: the analysis failed (see bench.log); the data is kept" >&2
echo "total_s: $((EPOCHSECONDS - started_at))" >>"$tmp/meta.txt"   # for the README (make readme)

# Final name: <date>-<host>, then -2, -3...: one past the highest suffix
# already there (not the first free one, which could sort before the others),
# so the newest run is the last in version order: the Makefile's RESULTS.
# mkdir claims a name atomically, and rename(2) onto the empty folder
# publishes the whole folder at once.
base="$RESULTS_ROOT/$day-$(hostname -s)" dest="" k=0
for existing in "$base" "$base"-*; do
    [ -d "$existing" ] || continue
    suffix=${existing#"$base"}; suffix=${suffix#-}
    case $suffix in '') suffix=1 ;; *[!0-9]*) continue ;; esac
    [ "$suffix" -gt "$k" ] && k=$suffix
done
k=$((k + 1))
candidate=$base; [ "$k" -gt 1 ] && candidate="$base-$k"
until mkdir "$candidate" 2>/dev/null; do k=$((k + 1)); candidate="$base-$k"; done
dest=$candidate
mv -T "$tmp" "$dest"
tmp=""
failed=$(python3 -c 'import csv,sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(sum(1 for r in rows if r["exit"] != "0" and r["experiment"] != "cancel"))' "$dest/runs.csv")
echo "bench.sh: done in $(mmss $((EPOCHSECONDS - started_at))) (probing, rounds and analysis): $dest ($plan_words, $failed failed runs)"
echo "bench.sh: report: $dest/REPORT.md (redraw with: make plot RESULTS=$dest)"
