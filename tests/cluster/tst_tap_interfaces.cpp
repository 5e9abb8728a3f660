// SPDX-License-Identifier: Apache-2.0
#include "cluster/row_parser.h"
#include "cluster/string_pool.h"
#include "cluster/tap_interfaces.h"
#include "pod_fixtures.h"

#include <QJsonDocument>
#include <QtTest>

using namespace podtap::cluster;
using podtap::testing::podJson;

/// @brief Which interfaces of a pod can be tapped is decided once, in core, from the typed row.
class TestTapInterfaces final : public QObject
{
    Q_OBJECT

    StringPool m_pool;
    RowParser m_parser {&m_pool};

    PodRow podWithNetworkStatus(const QByteArray &annotation)
    {
        QJsonObject metadata;
        if (!annotation.isNull()) {
            metadata.insert(QStringLiteral("annotations"),
                QJsonObject {{QStringLiteral("k8s.v1.cni.cncf.io/network-status"), QString::fromUtf8(annotation)}});
        }
        return m_parser.pod(podJson(QStringLiteral("u"), QStringLiteral("shop"), QStringLiteral("p"),
            R"({"phase":"Running"})", QJsonDocument(metadata).toJson()));
    }

private Q_SLOTS:
    void aPodWithoutAnnotationOffersItsPrimaryInterface()
    {
        const QList<TapInterface> interfaces = tapInterfaces(podWithNetworkStatus({}));
        QCOMPARE(interfaces.size(), 1);
        QCOMPARE(interfaces.first().name, QStringLiteral("eth0"));
        QCOMPARE(interfaces.first().description, QStringLiteral("primary"));
        QVERIFY(interfaces.first().tappable);
    }

    void multusInterfacesWithAndWithoutAKernelNetdev()
    {
        const QList<TapInterface> interfaces = tapInterfaces(podWithNetworkStatus(R"([
            {"name":"cbr0","interface":"eth0","ips":["203.0.113.7"],"default":true},
            {"name":"shop/sriov-net","interface":"net1","ips":["198.51.100.4"],"device-info":{"type":"pci"}},
            {"name":"shop/dpdk","interface":"net2","device-info":{"type":"pci","pci":{"driver":"vfio-pci"}}},
            {"name":"shop/vhu","interface":"net3","device-info":{"type":"vhost-user"}},
            {"name":"shop/nameless"}])"));
        // eth0 is named by the annotation, so it is not added a second time; a nameless entry is skipped.
        QCOMPARE(interfaces.size(), 4);
        QCOMPARE(
            interfaces[0], (TapInterface {QStringLiteral("eth0"), QStringLiteral("203.0.113.7 · cbr0"), true, {}}));
        QCOMPARE(interfaces[1],
            (TapInterface {QStringLiteral("net1"), QStringLiteral("pci · 198.51.100.4 · shop/sriov-net"), true, {}}));
        QCOMPARE(interfaces[2].name, QStringLiteral("net2"));
        QVERIFY(!interfaces[2].tappable); // vfio-pci: userspace owns the device
        QVERIFY2(interfaces[2].reason.contains(QStringLiteral("no kernel network device")),
            qPrintable(interfaces[2].reason));
        QVERIFY(!interfaces[3].tappable);
        QVERIFY2(interfaces[3].reason.startsWith(QStringLiteral("vhost-user ")), qPrintable(interfaces[3].reason));
    }

    void primaryIsAddedFirstWhenOnlySecondaryInterfacesAreListed()
    {
        const QList<TapInterface> interfaces =
            tapInterfaces(podWithNetworkStatus(R"([{"name":"shop/macvlan","interface":"net1","ips":["192.0.2.9"]}])"));
        QCOMPARE(interfaces.size(), 2);
        QCOMPARE(interfaces[0].name, QStringLiteral("eth0"));
        QCOMPARE(interfaces[1].name, QStringLiteral("net1"));
    }
};

QTEST_GUILESS_MAIN(TestTapInterfaces)
#include "tst_tap_interfaces.moc"
