// SPDX-License-Identifier: Apache-2.0
// podtap-agent: mirrors a pod's interface into a VXLAN tunnel. The subcommands arrive with the agent issue.
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <cstdio>
#include <cstring>
#include <memory>

int main(int argc, char **argv)
{
    if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("podtap-agent %s\n", PODTAP_AGENT_VERSION);
        return 0;
    }
    // Proves the static libnl link works end to end.
    std::unique_ptr<nl_sock, decltype(&nl_socket_free)> sock(nl_socket_alloc(), nl_socket_free);
    std::fprintf(stderr, "usage: podtap-agent mirror|receive|cleanup|inspect ... (not implemented yet)\n");
    return sock ? 2 : 4;
}
