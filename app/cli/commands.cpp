// SPDX-License-Identifier: Apache-2.0
#include "commands.h"

#include <array>

namespace podtap::cli {

int runManifestCommand(const QStringList &args);
int runConfigCommand(const QStringList &args);

std::span<const Command> commands()
{
    static const std::array table {
        Command {"manifest", "print agent pods for kubectl create -f - (kokotap's flags)", &runManifestCommand},
        Command {"config", "show the merged kubeconfig (config view, as kubectl prints it)", &runConfigCommand},
    };
    return table;
}

} // namespace podtap::cli
