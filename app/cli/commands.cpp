// SPDX-License-Identifier: Apache-2.0
#include "commands.h"

#include <array>

namespace podtap::cli {

int runManifestCommand(const QStringList &args);
int runConfigCommand(const QStringList &args);
int runTapCommand(const QStringList &args);
int runListCommand(const QStringList &args);
int runStopCommand(const QStringList &args);
int runSweepCommand(const QStringList &args);
int runGetCommand(const QStringList &args);
int runExtcapCommand(const QStringList &args);

std::span<const Command> commands()
{
    static const std::array table {
        Command {"tap", "tap a pod headless: mirror, capture, and clean up on Ctrl-C", &runTapCommand},
        Command {"list", "list podtap sessions in the cluster", &runListCommand},
        Command {"stop", "stop podtap sessions (SESSION... or --all)", &runStopCommand},
        Command {"sweep", "remove podtap pods whose session is dead", &runSweepCommand},
        Command {"manifest", "print agent pods for kubectl create -f - (kokotap's flags)", &runManifestCommand},
        Command {"get", "list namespaces, nodes or pods as kubectl's tables (-A, -l, --watch)", &runGetCommand},
        Command {"extcap", "install or uninstall the Wireshark extcap (pods in Wireshark's interface list)",
            &runExtcapCommand},
        Command {"config", "show the merged kubeconfig (config view, as kubectl prints it)", &runConfigCommand},
    };
    return table;
}

} // namespace podtap::cli
