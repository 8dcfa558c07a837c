# Network namespaces for the failover tests, sourced by run.sh --cluster
# (which makes them) and lib_cluster.sh (which cuts a node off and heals
# it).  Needs root and iproute2.
#
# NETNS_PREFIX-hub holds a bridge, br0, at 127.1.0.1/24; each node K
# (1..3) of the cluster runs in NETNS_PREFIX-nK, whose interface eth0
# (127.1.0.1K/24) is one end of a veth pair whose other end, nK, is a
# port of br0.  The test scripts, cdranon and the tools run in the hub.
# Every address is in the loopback range, 127.0.0.0/8, and every
# interface lives inside these namespaces: nothing is added to the
# machine's own network, and no packet can leave it.  A loopback address
# is only routed off the loopback device with route_localnet=1, and the
# local route for all of 127.0.0.0/8 (which would keep 127.1.0.1K on each
# namespace's own lo) is replaced by one for 127.0.0.1 alone.
#
# Cutting node K off is `ip link set nK down` in the hub: br0 no longer
# forwards to or from it, the node's eth0 loses its carrier, and packets
# either way are dropped without an answer, as on a real network
# partition (TCP connections hang until their timeouts; new ones fail
# once ARP gives up).  `up` heals it.

NETNS_NET=127.1.0
NETNS_NODES=3

netns_hub() { echo "$NETNS_PREFIX-hub"; }
netns_node() { echo "$NETNS_PREFIX-n$1"; }
netns_host() { echo "$NETNS_NET.1$1"; }

# netns_exec NS COMMAND...: runs COMMAND in namespace NS's network, and
# only there: nsenter (util-linux) switches the network namespace alone,
# where `ip netns exec` and `ip -n` also make a mount namespace with / a slave
# mount, which fails in a chroot (/ is no mount point there).
netns_exec() {
        local ns=$1
        shift
        nsenter --net="/run/netns/$ns" -- "$@"
}

# Loopback addresses routed like any other inside namespace $1.
netns_localnet() {
        netns_exec "$1" sysctl -qw net.ipv4.conf.all.route_localnet=1 \
                net.ipv4.conf.default.route_localnet=1
        netns_exec "$1" ip link set lo up
        netns_exec "$1" ip route del local 127.0.0.0/8 dev lo table local
}

# netns_up: makes the hub and the nodes' namespaces and wires them.
netns_up() {
        local hub k node
        hub=$(netns_hub)
        ip netns add "$hub"
        netns_localnet "$hub"
        netns_exec "$hub" ip link add br0 type bridge
        netns_exec "$hub" ip addr add "$NETNS_NET.1/24" dev br0
        netns_exec "$hub" ip link set br0 up
        for k in $(seq 1 "$NETNS_NODES"); do
                node=$(netns_node "$k")
                ip netns add "$node"
                netns_localnet "$node"
                netns_exec "$hub" ip link add "n$k" type veth peer name eth0 \
                        netns "$node"
                netns_exec "$hub" ip link set "n$k" master br0
                netns_exec "$hub" ip link set "n$k" up
                netns_exec "$node" ip addr add "$(netns_host "$k")/24" dev eth0
                netns_exec "$node" ip link set eth0 up
        done
}

# netns_down: ends what still runs in the namespaces and deletes them.
netns_down() {
        local ns pid
        for ns in $(netns_hub) $(for k in $(seq 1 "$NETNS_NODES"); do
                netns_node "$k"
        done); do
                [ -e "/run/netns/$ns" ] || continue
                for pid in $(ip netns pids "$ns" 2>/dev/null); do
                        kill -KILL "$pid" 2>/dev/null || true
                done
                ip netns del "$ns" 2>/dev/null || true
        done
}

# netns_cut K / netns_heal K: node K cut off from everything, and back.
netns_cut() { netns_exec "$(netns_hub)" ip link set "n$1" down; }
netns_heal() { netns_exec "$(netns_hub)" ip link set "n$1" up; }
