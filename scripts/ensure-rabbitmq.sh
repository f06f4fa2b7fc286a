#!/bin/sh
# Make sure a RabbitMQ broker answers for the tests: install it from Debian's packages if it is
# absent, start it if it is stopped, and wait (bounded) until it accepts AMQP connections.
#
# The broker is the one AMQP_URL names (default amqp://guest:guest@localhost:5672/). A broker on
# another host is only waited for: installing or starting one here would not help.
#
# Env: AMQP_URL, RABBITMQ_WAIT_S (default 60), PYTHON (for the TCP check; default python3).
set -eu

AMQP_URL=${AMQP_URL:-amqp://guest:guest@localhost:5672/}
WAIT_S=${RABBITMQ_WAIT_S:-60}
PYTHON=${PYTHON:-python3}

# host and port out of amqp://user:pass@host:port/vhost
hostport=$(printf '%s\n' "$AMQP_URL" | sed -e 's|^[a-z]*://||' -e 's|^[^@/]*@||' -e 's|/.*$||')
host=${hostport%%:*}
port=5672
case $hostport in *:*) port=${hostport##*:} ;; esac
[ -n "$host" ] || host=localhost

answers() {
    "$PYTHON" - "$host" "$port" <<'PY' >/dev/null 2>&1
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
PY
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else "$@"; fi
}

# A local broker is set up as deploy/rabbitmq sets up compose's, online: each service's entrance is a
# consistent-hash exchange (chassis/rabbit.py), whose plugin ships with RabbitMQ; and the retry queues'
# at-least-once dead-lettering tries a message it could not hand on again after 15 s (advanced.config).
enable_plugins() {
    case $host in
        localhost|127.0.0.1|::1|'[::1]')
            PATH=$PATH:/usr/sbin:/sbin
            as_root rabbitmq-plugins enable --quiet rabbitmq_consistent_hash_exchange >/dev/null ||
                echo "ensure-rabbitmq: could not enable rabbitmq_consistent_hash_exchange" >&2
            as_root rabbitmqctl --quiet eval \
                'application:set_env(rabbit, dead_letter_worker_publisher_confirm_timeout, 15000).' >/dev/null ||
                echo "ensure-rabbitmq: could not set dead_letter_worker_publisher_confirm_timeout" >&2
            ;;
    esac
}

if answers; then
    enable_plugins
    exit 0
fi

case $host in
    localhost|127.0.0.1|::1|'[::1]')
        if ! command -v rabbitmq-server >/dev/null 2>&1 && [ ! -x /usr/sbin/rabbitmq-server ]; then
            echo "ensure-rabbitmq: installing rabbitmq-server (apt)" >&2
            as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server
        fi
        PATH=$PATH:/usr/sbin:/sbin
        # The package may start it on install; start it only if it still does not answer.
        if ! answers && ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
            echo "ensure-rabbitmq: starting rabbitmq-server" >&2
            as_root rabbitmq-server -detached
        fi
        ;;
    *)
        echo "ensure-rabbitmq: waiting for the broker at $host:$port (not local: not starting one)" >&2
        ;;
esac

waited=0
until answers; do
    if [ "$waited" -ge "$WAIT_S" ]; then
        echo "ensure-rabbitmq: RabbitMQ does not answer on $host:$port after ${WAIT_S}s" >&2
        exit 1
    fi
    sleep 1
    waited=$((waited + 1))
done
enable_plugins
echo "ensure-rabbitmq: RabbitMQ answers on $host:$port" >&2
