// SPDX-License-Identifier: Apache-2.0
#include "tap_interfaces.h"

#include <QCoreApplication>

namespace podtap::cluster {

QList<TapInterface> tapInterfaces(const PodRow &row)
{
    QList<TapInterface> choices;
    bool haveEth0 = false;
    for (const PodInterface &iface : row.interfaces) {
        if (iface.interfaceName.isEmpty()) {
            continue;
        }
        TapInterface choice;
        choice.name = iface.interfaceName;
        haveEth0 = haveEth0 || choice.name == QLatin1String("eth0");
        QStringList description;
        if (!iface.deviceType.isEmpty()) {
            description << iface.deviceType;
        }
        if (!iface.ips.isEmpty()) {
            description << iface.ips.join(QStringLiteral(", "));
        }
        if (!iface.network.isEmpty()) {
            description << iface.network;
        }
        choice.description = description.join(QStringLiteral(" · "));
        choice.tappable = iface.hasKernelNetdev;
        if (!choice.tappable) {
            choice.reason = QCoreApplication::translate(
                "podtap", "%1 has no kernel network device in the pod, so there is nothing to mirror")
                                .arg(iface.deviceType.isEmpty() ? QStringLiteral("this kind") : iface.deviceType);
        }
        choices.append(choice);
    }
    // A pod without a network-status annotation still has its primary interface.
    if (!haveEth0) {
        choices.prepend(
            TapInterface {QStringLiteral("eth0"), QCoreApplication::translate("podtap", "primary"), true, {}});
    }
    return choices;
}

} // namespace podtap::cluster
