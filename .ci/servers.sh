# Real servers for the tests, on loopback: a throwaway PostgreSQL cluster and a Dask
# scheduler with two workers, each its own process. Sourced by .ci/run; by hand, from
# the repository root:
#
#   source .ci/servers.sh && trap stop_servers EXIT && start_servers .venv/bin
#
# start_servers BIN installs Debian's PostgreSQL server if it is missing, starts both
# servers (BIN holds the venv's python and dask) and exports their addresses:
#   PARTNERLAB_TEST_POSTGRES  postgresql://partnerlab:<password>@127.0.0.1:<port>/partnerlab
#   PARTNERLAB_TEST_DASK      tcp://127.0.0.1:<port>
# stop_servers stops what start_servers started and removes the cluster's files.

servers_dir=""
servers_pids=()

# PostgreSQL refuses to run as root: as root, its commands run as the package's postgres user.
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

install_postgres() {
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q postgresql >/dev/null \
        || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q postgresql >/dev/null; }
}

start_postgres() {
    local python="$1" bin port data="$servers_dir/postgres"
    if [ ! -x "$(postgres_bin)/postgres" ]; then install_postgres; fi
    bin="$(postgres_bin)"
    mkdir -p "$data"
    port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    (umask 077 && "$python" -c 'import secrets; print(secrets.token_hex(16))' >"$data/password")
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$data"; fi
    as_postgres "$bin/initdb" --pgdata "$data/cluster" --username partnerlab --pwfile "$data/password" \
        --auth scram-sha-256 --encoding UTF8 --no-sync >"$data/initdb.log"
    # Loopback only, its socket in the temporary folder; fsync off: a throwaway cluster.
    as_postgres "$bin/pg_ctl" --pgdata "$data/cluster" --log "$data/server.log" --wait --silent \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data -c fsync=off" \
        start
    PGPASSWORD="$(cat "$data/password")" "$bin/createdb" --host 127.0.0.1 --port "$port" \
        --username partnerlab partnerlab
    PARTNERLAB_TEST_POSTGRES="postgresql://partnerlab:$(cat "$data/password")@127.0.0.1:$port/partnerlab"
    export PARTNERLAB_TEST_POSTGRES
}

start_dask() {
    local bin="$1" file="$servers_dir/scheduler.json" worker
    "$bin/dask" scheduler --host 127.0.0.1 --port 0 --no-dashboard --scheduler-file "$file" \
        >"$servers_dir/scheduler.log" 2>&1 &
    servers_pids+=("$!")
    for worker in 1 2; do
        "$bin/dask" worker --scheduler-file "$file" --nthreads 1 --no-dashboard \
            --name "test-worker-$worker" >"$servers_dir/worker-$worker.log" 2>&1 &
        servers_pids+=("$!")
    done
    # The workers, and this client, wait for the scheduler to write its address to the file.
    PARTNERLAB_TEST_DASK="$(timeout 180 "$bin/python" -c 'import sys
from distributed import Client
with Client(scheduler_file=sys.argv[1], timeout="60s") as client:
    client.wait_for_workers(2, timeout=120)
    print(client.scheduler.address)' "$file")"
    export PARTNERLAB_TEST_DASK
}

start_servers() {
    servers_dir="$(mktemp -d)"
    chmod 755 "$servers_dir"  # the postgres user reaches its cluster inside
    start_postgres "$1/python"
    start_dask "$1"
    echo "servers: PostgreSQL on ${PARTNERLAB_TEST_POSTGRES##*@}, Dask at $PARTNERLAB_TEST_DASK (2 workers)"
}

stop_servers() {
    local pid
    for pid in "${servers_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${servers_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    servers_pids=()
    if [ -n "$servers_dir" ]; then
        if [ -f "$servers_dir/postgres/cluster/postmaster.pid" ]; then
            as_postgres "$(postgres_bin)/pg_ctl" --pgdata "$servers_dir/postgres/cluster" \
                --mode fast --wait --silent stop || true
        fi
        rm -rf "$servers_dir"
        servers_dir=""
    fi
}
