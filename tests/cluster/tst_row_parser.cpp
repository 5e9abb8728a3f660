// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_health.h"
#include "cluster/row_parser.h"
#include "pod_fixtures.h"

#include <QRandomGenerator>

#include <QtTest>
#include <limits>

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

    void restartSumsNeverOverflow()
    {
        // Each count fits an int; their sum does not (found by the fuzzer under UBSan).
        const PodRow row = m_parser.pod(podJson(QStringLiteral("u2"), QStringLiteral("shop"), QStringLiteral("web-1"),
            "{\"phase\":\"Running\",\"containerStatuses\":["
            "{\"name\":\"a\",\"restartCount\":2147483646,\"state\":{\"running\":{}}},"
            "{\"name\":\"b\",\"restartCount\":2,\"state\":{\"running\":{}}}]}",
            "{}", "{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}"));
        QCOMPARE(row.restarts, std::numeric_limits<int>::max());
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
        QVERIFY(podHealthStyle(podHealth(row)).rgb <= 0xffffffu);
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
        // Container names repeat across pods too, so 100k rows share them.
        QCOMPARE(a.containers.size(), 1);
        QCOMPARE(a.containers.first().name.constData(), b.containers.first().name.constData());
    }

    void containersAndTheirStates()
    {
        const PodRow row = m_parser.pod(podJson(QStringLiteral("u9"), QStringLiteral("shop"), QStringLiteral("web-1"),
            R"({"phase":"Running","conditions":[{"type":"Initialized","status":"True"}],
               "initContainerStatuses":[{"name":"migrate","ready":false,"restartCount":0,
                 "state":{"terminated":{"reason":"Completed","exitCode":0}}}],
               "containerStatuses":[
                 {"name":"side","ready":false,"restartCount":7,"state":{"waiting":{"reason":"CrashLoopBackOff"}},
                  "lastState":{"terminated":{"reason":"OOMKilled","exitCode":137}}},
                 {"name":"app","ready":true,"restartCount":2,"state":{"running":{"startedAt":"2026-01-01T00:00:00Z"}}},
                 {"name":"job","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":3}}},
                 {"name":"ghost","ready":true,"state":{"running":{}}}]})",
            "{}",
            R"({"nodeName":"node-1","initContainers":[{"name":"migrate"}],
               "containers":[{"name":"app"},{"name":"side"},{"name":"job"},{"name":"fresh"}],
               "ephemeralContainers":[{"name":"debugger"}]})"));
        // Spec order, init first, ephemeral last; a status without a spec entry is not a container.
        QStringList names;
        for (const PodContainer &container : row.containers)
            names << container.name;
        QCOMPARE(names,
            (QStringList {QStringLiteral("migrate"), QStringLiteral("app"), QStringLiteral("side"),
                QStringLiteral("job"), QStringLiteral("fresh"), QStringLiteral("debugger")}));
        const PodContainer &migrate = row.containers.at(0);
        QCOMPARE(migrate.kind, PodContainer::Kind::Init);
        QCOMPARE(migrate.state, PodContainer::State::Terminated);
        QCOMPARE(migrate.reason, QStringLiteral("Completed"));
        const PodContainer &app = row.containers.at(1);
        QCOMPARE(app.kind, PodContainer::Kind::App);
        QCOMPARE(app.state, PodContainer::State::Running);
        QVERIFY(app.ready);
        QCOMPARE(app.restarts, 2);
        QVERIFY(app.reason.isEmpty());
        const PodContainer &side = row.containers.at(2);
        QCOMPARE(side.state, PodContainer::State::Waiting);
        QCOMPARE(side.reason, QStringLiteral("CrashLoopBackOff"));
        QVERIFY(!side.ready);
        QCOMPARE(side.restarts, 7);
        const PodContainer &job = row.containers.at(3);
        QCOMPARE(job.state, PodContainer::State::Terminated);
        QVERIFY(job.reason.isEmpty());
        QCOMPARE(job.exitCode, 3);
        QCOMPARE(row.containers.at(4).state, PodContainer::State::Unknown); // no status reported yet
        QCOMPARE(row.containers.at(5).kind, PodContainer::Kind::Ephemeral);
        QCOMPARE(containerStateName(side.state), QStringLiteral("Waiting"));
        // Each container's colour comes from the same reason table as the pod's.
        QCOMPARE(podHealth(migrate), PodHealth::Completed);
        QCOMPARE(podHealth(app), PodHealth::Running);
        QCOMPARE(podHealth(side), PodHealth::Failed);
        QCOMPARE(podHealth(job), PodHealth::Failed);
        QCOMPARE(podHealth(row.containers.at(4)), PodHealth::Pending);

        // Hostile shapes: wrong types and absurd numbers leave fields empty, never crash.
        const PodRow odd = m_parser.pod(podJson(QStringLiteral("u10"), QStringLiteral("shop"), QStringLiteral("odd"),
            R"({"containerStatuses":[{"name":"a","restartCount":1e300,"state":"running"},7,
               {"name":"b","state":{"waiting":[]}}]})",
            "{}", R"({"containers":[{"name":"a"},{"name":"b"},"c",{"name":5}]})"));
        QCOMPARE(odd.containers.size(), 2); // entries without a name are skipped
        QCOMPARE(odd.containers.at(0).restarts, 0);
        QCOMPARE(odd.containers.at(0).state, PodContainer::State::Waiting);
        QCOMPARE(odd.containers.at(1).state, PodContainer::State::Waiting);
    }
};

QTEST_GUILESS_MAIN(TestRowParser)
#include "tst_row_parser.moc"
