// SPDX-License-Identifier: Apache-2.0
// The Multus `k8s.v1.cni.cncf.io/network-status` annotation parser on hostile text: never crashes,
// keeps within its bounds, and marks as unmirrorable only the device kinds that have no netdev.
#include "cluster/row_parser.h"
#include "fuzz_support.h"

#include <QJsonArray>
#include <QJsonDocument>

using namespace podtap;
using namespace podtap::cluster;
using podtap::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QString annotation = QString::fromUtf8(fuzz::bytes(data, size));
    StringPool pool;
    const RowParser parser(&pool);
    const QList<PodInterface> interfaces = parser.networkStatus(annotation);

    const QJsonDocument document = QJsonDocument::fromJson(annotation.toUtf8());
    require(interfaces.isEmpty() || document.isArray(), "interfaces from an annotation that is not a JSON array");
    require(interfaces.size() <= qMin<qsizetype>(64, document.array().size()), "more interfaces than entries");
    const QStringList noNetdev = {QStringLiteral("vhost-user"), QStringLiteral("memif"), QStringLiteral("vfio"),
        QStringLiteral("pci"), QStringLiteral("vdpa")};
    for (const PodInterface &iface : interfaces) {
        require(iface.ips.size() <= 16, "more than 16 addresses kept for one interface");
        require(iface.deviceType == iface.deviceType.toLower(), "device type is not lower case");
        require(iface.hasKernelNetdev || noNetdev.contains(iface.deviceType),
            "an ordinary interface is marked as having no kernel netdev");
        require(!iface.interfaceName.isEmpty() || !iface.ips.isEmpty() || !iface.hasKernelNetdev,
            "an interface nobody could pick was kept");
    }
    require(parser.networkStatus(annotation).size() == interfaces.size(), "parsing twice differs");
    return 0;
}
