// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_health.h"
#include "cluster/row_parser.h"
#include "pod_fixtures.h"

#include <QRandomGenerator>
#include <QtTest>

using namespace podtap::cluster;
using podtap::testing::podJson;

class TestRowParser : public QObject
{
    Q_OBJECT

    StringPool m_pool;
    RowParser m_parser {&m_pool};

private Q_SLOTS:
    void runningPodColumns()
    {
        const PodRow row = m_parser.pod(podJson(QStringLiteral("u1"), QStringLiteral("shop"), QStringLiteral("web-0"),
            R"({"phase":"Running","podIP":"203.0.113.7","conditions":[{"type":"Ready","status":"True"}],
               "containerStatuses":[{"name":"app","ready":true,"restartCount":3,"state":{"running":{}},
               "lastState":{"terminated":{"finishedAt":"2026-01-01T00:10:00Z"}},"containerID":"containerd:\/\/abc"},
               {"name":"side","ready":true,"restartCount":1,"state":{"running":{}},"containerID":"cri-o:\/\/def"}]})",
            R"({"labels":{"app":"web","tier":"front"}})",
            R"({"nodeName":"node-1","containers":[{"name":"app"},{"name":"side"}]})"));
        QCOMPARE(row.uid, QStringLiteral("u1"));
        QCOMPARE(row.namespaceName, QStringLiteral("shop"));
        QCOMPARE(row.status, QStringLiteral("Running"));
        QCOMPARE(row.readyContainers, 2);
        QCOMPARE(row.totalContainers, 2);
        QCOMPARE(row.restarts, 4);
        QCOMPARE(row.lastRestartMs, RowParser::parseTimestamp(QStringLiteral("2026-01-01T00:10:00Z")));
        QCOMPARE(row.podIp, QStringLiteral("203.0.113.7"));
        QCOMPARE(row.nodeName, QStringLiteral("node-1"));
        QCOMPARE(row.containerIds, (QStringList {QStringLiteral("containerd://abc"), QStringLiteral("cri-o://def")}));
        QVERIFY(row.containerIds.contains(QStringLiteral("containerd://abc")));
        QCOMPARE(row.labels.size(), 2);
        QCOMPARE(podHealth(row), PodHealth::Running);
    }

    void kubectlStatus_data()
    {
        QTest::addColumn<QByteArray>("status");
        QTest::addColumn<QByteArray>("metadata");
        QTest::addColumn<QByteArray>("spec");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<int>("health");
        const QByteArray oneContainer = R"({"containers":[{"name":"app"}]})";
        QTest::newRow("CrashLoopBackOff")
            << QByteArray(R"({"phase":"Running","containerStatuses":[{"name":"app","restartCount":7,
                 "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]})")
            << QByteArray("{}") << oneContainer << QStringLiteral("CrashLoopBackOff") << int(PodHealth::Failed);
        QTest::newRow("ContainerCreating")
            << QByteArray(
                   R"({"phase":"Pending","containerStatuses":[{"name":"app","state":{"waiting":{"reason":"ContainerCreating"}}}]})")
            << QByteArray("{}") << oneContainer << QStringLiteral("ContainerCreating") << int(PodHealth::Pending);
        QTest::newRow("Terminating")
            << QByteArray(
                   R"({"phase":"Running","containerStatuses":[{"name":"app","ready":true,"state":{"running":{}}}]})")
            << QByteArray(R"({"deletionTimestamp":"2026-01-01T01:00:00Z"})") << oneContainer
            << QStringLiteral("Terminating") << int(PodHealth::Terminating);
        QTest::newRow("Completed")
            << QByteArray(
                   R"({"phase":"Succeeded","containerStatuses":[{"name":"app","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]})")
            << QByteArray("{}") << oneContainer << QStringLiteral("Completed") << int(PodHealth::Completed);
        QTest::newRow("Error exit code")
            << QByteArray(
                   R"({"phase":"Failed","containerStatuses":[{"name":"app","state":{"terminated":{"exitCode":2}}}]})")
            << QByteArray("{}") << oneContainer << QStringLiteral("ExitCode:2") << int(PodHealth::Failed);
        QTest::newRow("Init progress")
            << QByteArray(R"({"phase":"Pending","initContainerStatuses":[{"name":"init","state":{"running":{}}}]})")
            << QByteArray("{}") << QByteArray(R"({"initContainers":[{"name":"init"}],"containers":[{"name":"app"}]})")
            << QStringLiteral("Init:0/1") << int(PodHealth::Pending);
        QTest::newRow("Init error")
            << QByteArray(
                   R"({"phase":"Pending","initContainerStatuses":[{"name":"init","state":{"terminated":{"exitCode":1,"reason":"Error"}}}]})")
            << QByteArray("{}") << QByteArray(R"({"initContainers":[{"name":"init"}],"containers":[{"name":"app"}]})")
            << QStringLiteral("Init:Error") << int(PodHealth::Failed);
        QTest::newRow("Evicted") << QByteArray(R"({"phase":"Failed","reason":"Evicted"})") << QByteArray("{}")
                                 << oneContainer << QStringLiteral("Evicted") << int(PodHealth::Failed);
        QTest::newRow("Running not ready")
            << QByteArray(
                   R"({"phase":"Running","containerStatuses":[{"name":"app","ready":false,"state":{"running":{}}}]})")
            << QByteArray("{}") << oneContainer << QStringLiteral("Running") << int(PodHealth::NotReady);
        QTest::newRow("Pending unscheduled") << QByteArray(R"({"phase":"Pending"})") << QByteArray("{}") << oneContainer
                                             << QStringLiteral("Pending") << int(PodHealth::Pending);
    }

    void kubectlStatus()
    {
        QFETCH(QByteArray, status);
        QFETCH(QByteArray, metadata);
        QFETCH(QByteArray, spec);
        QFETCH(QString, expected);
        QFETCH(int, health);
        const PodRow row = m_parser.pod(
            podJson(QStringLiteral("u"), QStringLiteral("ns"), QStringLiteral("p"), status, metadata, spec));
        QCOMPARE(row.status, expected);
        QCOMPARE(int(podHealth(row)), health);
        QVERIFY(podHealthStyle(podHealth(row)).color[0] == '#');
    }

    void multusInterfaces()
    {
        const QByteArray annotation = R"([
            {"name":"cbr0","interface":"eth0","ips":["203.0.113.7"],"mac":"0a:58:cb:00:71:07","default":true,"dns":{}},
            {"name":"shop/sriov-net","interface":"net1","ips":["198.51.100.4"],"mac":"02:00:00:00:00:01",
             "device-info":{"type":"pci","version":"1.1.0","pci":{"pci-address":"0000:03:02.4"}}},
            {"name":"shop/dpdk","interface":"net2","device-info":{"type":"pci","pci":{"pci-address":"0000:03:02.5","driver":"vfio-pci"}}},
            {"name":"shop/vhu","interface":"net3","device-info":{"type":"vhost-user","vhost-user":{"mode":"server"}}},
            {"name":"shop/memif","interface":"net4","device-info":{"type":"memif"}}])";
        QJsonObject annotations {{QStringLiteral("k8s.v1.cni.cncf.io/network-status"), QString::fromUtf8(annotation)}};
        QJsonObject metadata {{QStringLiteral("annotations"), annotations}};
        const PodRow row = m_parser.pod(podJson(QStringLiteral("u"), QStringLiteral("shop"), QStringLiteral("p"),
            R"({"phase":"Running"})", QJsonDocument(metadata).toJson()));
        QCOMPARE(row.interfaces.size(), 5);
        QCOMPARE(row.interfaces[0].interfaceName, QStringLiteral("eth0"));
        QVERIFY(row.interfaces[0].isDefault);
        QCOMPARE(row.interfaces[0].mac, QStringLiteral("0a:58:cb:00:71:07"));
        QCOMPARE(row.interfaces[1].network, QStringLiteral("shop/sriov-net"));
        QCOMPARE(row.interfaces[1].ips, QStringList {QStringLiteral("198.51.100.4")});
        QCOMPARE(row.interfaces[1].deviceType, QStringLiteral("pci"));
        QVERIFY(row.interfaces[1].hasKernelNetdev);
        QVERIFY(!row.interfaces[2].hasKernelNetdev); // vfio-pci: userspace owns it
        QVERIFY(!row.interfaces[3].hasKernelNetdev);
        QCOMPARE(row.interfaces[3].deviceType, QStringLiteral("vhost-user"));
        QVERIFY(!row.interfaces[4].hasKernelNetdev);
    }

    void hostileAnnotationsNeverCrash_data()
    {
        QTest::addColumn<QByteArray>("annotation");
        QTest::newRow("not json") << QByteArray("{{{{[[[");
        QTest::newRow("object") << QByteArray(R"({"interface":"eth0"})");
        QTest::newRow("wrong types") << QByteArray(
            R"([{"name":5,"interface":["x"],"ips":"1.2.3.4","mac":{},"default":"yes","device-info":[]}])");
        QTest::newRow("nulls") << QByteArray(R"([null,1,"x",[],{"ips":[null,1,{}]}])");
        QTest::newRow("deep") << QByteArray(10000, '[') + QByteArray(10000, ']');
        QTest::newRow("huge") << "[" + QByteArray(300000, ' ') + "]";
        QTest::newRow("many") << "[" + QByteArrayList(5000, R"({"interface":"eth0","ips":["203.0.113.1"]})").join(',') +
                "]";
        QTest::newRow("nul bytes") << QByteArray("[{\"interface\":\"et\0h0\"}]", 22);
    }

    void hostileAnnotationsNeverCrash()
    {
        QFETCH(QByteArray, annotation);
        const QList<PodInterface> interfaces = m_parser.networkStatus(QString::fromUtf8(annotation));
        QVERIFY(interfaces.size() <= 64);
    }

    void randomMutationsNeverCrash()
    {
        // Fuzz-ish: flip bytes of a valid pod and its annotation; parsing must survive every one.
        const QByteArray pod =
            QJsonDocument(podJson(QStringLiteral("u"), QStringLiteral("n"), QStringLiteral("p"),
                              "{\"phase\":\"Running\",\"containerStatuses\":[{\"restartCount\":1e308,"
                              "\"state\":{\"terminated\":{\"exitCode\":-1e30,\"signal\":\"x\"}}}]}",
                              "{\"creationTimestamp\":\"9999-99-99T99:99:99Z\",\"annotations\":{"
                              "\"k8s.v1.cni.cncf.io/network-status\":\"[{\\\"interface\\\":\\\"eth0\\\"}]\"}}"))
                .toJson(QJsonDocument::Compact);
        QRandomGenerator random(42);
        int parsed = 0;
        for (int i = 0; i < 3000; ++i) {
            QByteArray mutated = pod;
            for (int k = 0; k < 4; ++k) {
                mutated[random.bounded(int(mutated.size()))] = char(random.bounded(256));
            }
            const QJsonObject object = QJsonDocument::fromJson(mutated).object();
            const PodRow row = m_parser.pod(object);
            parsed += row.uid.isEmpty() ? 0 : 1;
            (void)podHealth(row);
        }
        QVERIFY(parsed > 0);
    }

    void timestamps()
    {
        QCOMPARE(RowParser::parseTimestamp(QStringLiteral("1970-01-01T00:00:01Z")), 1000);
        QCOMPARE(RowParser::parseTimestamp(QStringLiteral("2026-01-01T00:00:00Z")),
            QDateTime(QDate(2026, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch());
        QCOMPARE(RowParser::parseTimestamp(QStringLiteral("2026-01-01T02:00:00.250+02:00")),
            QDateTime(QDate(2026, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch() + 250);
        QCOMPARE(RowParser::parseTimestamp(QStringLiteral("2026-13-01T00:00:00Z")), 0);
        QCOMPARE(RowParser::parseTimestamp(QStringLiteral("2026-01-01")), 0);
        QCOMPARE(RowParser::parseTimestamp(QStringLiteral("")), 0);
    }

    void nodeRow()
    {
        const QJsonObject node = QJsonDocument::fromJson(R"({"metadata":{"uid":"n1","name":"node-1",
            "labels":{"node-role.kubernetes.io/control-plane":"","kubernetes.io/hostname":"node-1"}},
            "spec":{"unschedulable":true},
            "status":{"addresses":[{"type":"Hostname","address":"node-1"},{"type":"InternalIP","address":"192.0.2.11"}],
            "conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True","reason":"KubeletReady"}],
            "nodeInfo":{"kubeletVersion":"v1.30.0"}}})")
                                     .object();
        const NodeRow row = m_parser.node(node);
        QCOMPARE(row.name, QStringLiteral("node-1"));
        QCOMPARE(row.internalIp, QStringLiteral("192.0.2.11"));
        QCOMPARE(row.conditions.size(), 2);
        QCOMPARE(row.status(), QStringLiteral("Ready,SchedulingDisabled"));
        QCOMPARE(row.roles, QStringLiteral("control-plane"));
        QCOMPARE(row.kubeletVersion, QStringLiteral("v1.30.0"));
    }

    void internedStringsAreShared()
    {
        const PodRow a = m_parser.pod(podJson(QStringLiteral("a"), QStringLiteral("shared-ns"), QStringLiteral("a")));
        const PodRow b = m_parser.pod(podJson(QStringLiteral("b"), QStringLiteral("shared-ns"), QStringLiteral("b")));
        QCOMPARE(a.namespaceName.constData(), b.namespaceName.constData());
        QCOMPARE(a.nodeName.constData(), b.nodeName.constData());
        QCOMPARE(a.status.constData(), b.status.constData());
    }
};

QTEST_GUILESS_MAIN(TestRowParser)
#include "tst_row_parser.moc"
