// SPDX-License-Identifier: Apache-2.0
// `podtapctl tap` of many pods (a workload, a selector, several pods) against kube-sim without the rig: its
// refusals, and a whole run in which the test speaks for the node agents (the sim runs no data path) and checks
// what podtapctl prints, writes and leaves behind.
#include "sim_fixture.h"

#include "receive/pcapng_stream_reader.h"
#include "tap/agent_event.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUdpSocket>
#include <QUrlQuery>

using podtap::test::builtExecutable;
using podtap::test::ProcessResult;
using podtap::test::run;
using podtap::test::SimFixture;
using podtap::test::waitFor;

namespace {

QJsonArray agentPods(podtap::kube::KubeClient &client)
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("labelSelector"), QStringLiteral("app.kubernetes.io/managed-by=podtap"));
    podtap::kube::KubeReply *reply = waitFor(
        client.get(podtap::kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap")), query));
    reply->deleteLater();
    return reply->json().value(QLatin1String("items")).toArray();
}

void speakForAgent(podtap::kube::KubeClient &client, const QString &pod, const QByteArray &line)
{
    podtap::kube::KubeRequest request;
    request.verb = "POST";
    request.path = QStringLiteral("/sim/logs");
    request.body = QJsonDocument(QJsonObject {{QStringLiteral("namespace"), QStringLiteral("podtap")},
                                     {QStringLiteral("name"), pod}, {QStringLiteral("line"), QString::fromUtf8(line)}})
                       .toJson(QJsonDocument::Compact);
    podtap::kube::KubeReply *reply = waitFor(client.send(request));
    reply->deleteLater();
    QVERIFY2(reply->ok(), qPrintable(reply->error().toString()));
}

quint16 freeUdpPort()
{
    QUdpSocket socket;
    socket.bind(QHostAddress::LocalHost, 0);
    return socket.localPort();
}

} // namespace

/// @brief podtapctl taps a workload into one file with one agent per node, and refuses what it cannot do clearly.
class TestPodtapctlTapWorkloadE2e : public QObject
{
    Q_OBJECT

    std::unique_ptr<SimFixture> m_sim;

    ProcessResult podtapctl(const QStringList &args) const
    {
        return run(QStringList {builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("tap"),
                       QStringLiteral("--kubeconfig"), m_sim->kubeconfig()} +
                args,
            60000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_sim = std::make_unique<SimFixture>(QStringList {QStringLiteral("--namespaces"), QStringLiteral("1"),
            QStringLiteral("--nodes"), QStringLiteral("3"), QStringLiteral("--pods"), QStringLiteral("3"),
            QStringLiteral("--workloads"), QStringLiteral("shop")});
        PODTAP_REQUIRE_SIM(*m_sim);
    }

    void moreRunningPodsThanTheLimitIsRefusedWithTheFix()
    {
        QTemporaryDir dir;
        const ProcessResult result = podtapctl(
            {QStringLiteral("-n"), QStringLiteral("shop"), QStringLiteral("deploy/shop"), QStringLiteral("--max-pods"),
                QStringLiteral("1"), QStringLiteral("--write"), dir.filePath(QStringLiteral("f.pcapng"))});
        QCOMPARE(result.exitCode, 1);
        // The object, the count, the limit and the fix.
        QVERIFY2(result.err.contains("deployment \"shop\""), result.err.constData());
        QVERIFY2(result.err.contains("2 running pods, more than the limit of 1"), result.err.constData());
        QVERIFY2(result.err.contains("--max-pods 2"), result.err.constData());
        auto client = m_sim->client();
        QCOMPARE(agentPods(*client).size(), 0);
    }

    void usageErrorsNameWhatIsWrong_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("other destination")
            << QStringList {QStringLiteral("-n"), QStringLiteral("shop"), QStringLiteral("-l"),
                   QStringLiteral("app=shop"), QStringLiteral("--to"), QStringLiteral("node:node-001")}
            << QByteArray("--to local");
        QTest::newRow("selector and target")
            << QStringList {QStringLiteral("-n"), QStringLiteral("shop"), QStringLiteral("-l"),
                   QStringLiteral("app=shop"), QStringLiteral("db-0")}
            << QByteArray("give no TARGET");
        QTest::newRow("pods and a workload") << QStringList {QStringLiteral("-n"), QStringLiteral("shop"),
                                                    QStringLiteral("db-0"), QStringLiteral("deploy/shop")}
                                             << QByteArray("\"deploy/shop\" is not a pod");
        QTest::newRow("limit out of range")
            << QStringList {QStringLiteral("-n"), QStringLiteral("shop"), QStringLiteral("sts/db"),
                   QStringLiteral("--max-pods"), QStringLiteral("0")}
            << QByteArray("--max-pods must be a number from 1 to 256");
        QTest::newRow("one pod with --max-pods")
            << QStringList {QStringLiteral("shop/db-0"), QStringLiteral("--max-pods"), QStringLiteral("3")}
            << QByteArray("for taps of many pods");
        QTest::newRow("vni") << QStringList {QStringLiteral("-n"), QStringLiteral("shop"), QStringLiteral("sts/db"),
                                    QStringLiteral("--vni"), QStringLiteral("7")}
                             << QByteArray("a pair per pod");
    }

    void usageErrorsNameWhatIsWrong()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, message);
        const ProcessResult result = podtapctl(args);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains(message), result.err.constData());
    }

    void tapsADaemonSetIntoOneFileWithAnAgentPerNode()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("node-agent.pcapng"));
        QProcess tap;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("HOME"), m_sim->dir());
        tap.setProcessEnvironment(environment);
        tap.start(builtExecutable(QStringLiteral("app/cli/podtapctl")),
            {QStringLiteral("tap"), QStringLiteral("--kubeconfig"), m_sim->kubeconfig(), QStringLiteral("-n"),
                QStringLiteral("shop"), QStringLiteral("ds/node-agent"), QStringLiteral("--write"), file,
                QStringLiteral("--duration"), QStringLiteral("8s"), QStringLiteral("--port"),
                QString::number(freeUdpPort())});
        QVERIFY(tap.waitForStarted());
        auto client = m_sim->client();
        // One agent pod per node (the DaemonSet has a pod on each of the 3 nodes), each listing its node's pod.
        QTRY_COMPARE_WITH_TIMEOUT(agentPods(*client).size(), 3, 30000);
        QSet<QString> nodes;
        for (const QJsonValue &item : agentPods(*client)) {
            const QJsonObject pod = item.toObject();
            const QString name =
                pod.value(QLatin1String("metadata")).toObject().value(QLatin1String("name")).toString();
            nodes.insert(pod.value(QLatin1String("spec")).toObject().value(QLatin1String("nodeName")).toString());
            const QString list = pod.value(QLatin1String("metadata"))
                                     .toObject()
                                     .value(QLatin1String("annotations"))
                                     .toObject()
                                     .value(QLatin1String("podtap.io/targets"))
                                     .toString();
            const QStringList lines = list.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            QCOMPARE(lines.size(), 1);
            const QString tag = lines.first().section(QLatin1Char(' '), 0, 0);
            QVERIFY2(tag.startsWith(QStringLiteral("shop/node-agent-")), qPrintable(tag));
            speakForAgent(*client, name,
                QByteArrayLiteral("{\"event\":\"targets\",\"active\":[\"") + tag.toUtf8() +
                    "\"],\"ended\":[],\"version\":\"9.8.7\",\"contract\":" +
                    QByteArray::number(podtap::kAgentContract) + "}");
            speakForAgent(
                *client, name, QByteArrayLiteral("{\"event\":\"ready\",\"target\":\"") + tag.toUtf8() + "\"}");
            speakForAgent(*client, name,
                QByteArrayLiteral("{\"event\":\"stats\",\"target\":\"") + tag.toUtf8() +
                    "\",\"ingress\":{\"packets\":5,\"bytes\":500}}");
        }
        QCOMPARE(nodes.size(), 3);
        // `podtapctl list` shows the node agents as one live session's senders, as it does a single pod's.
        const QString session = agentPods(*client)
                                    .first()
                                    .toObject()
                                    .value(QLatin1String("metadata"))
                                    .toObject()
                                    .value(QLatin1String("labels"))
                                    .toObject()
                                    .value(QLatin1String("podtap.io/session"))
                                    .toString();
        const ProcessResult list = run({builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("list"),
                                           QStringLiteral("--kubeconfig"), m_sim->kubeconfig()},
            30000);
        QVERIFY2(list.ok(), qPrintable(list.describe({QStringLiteral("podtapctl list")})));
        int rows = 0;
        for (const QByteArray &line : list.out.split('\n')) {
            if (line.startsWith(session.toUtf8())) {
                ++rows;
                QVERIFY2(line.contains("sender") && line.contains("alive") && line.contains("shop/node-agent-"),
                    line.constData());
            }
        }
        QCOMPARE(rows, 3);
        const bool exited = tap.waitForFinished(60000);
        const QByteArray err = tap.readAllStandardError();
        QVERIFY2(exited, err.constData());
        QCOMPARE(tap.exitCode(), 0);
        QCOMPARE(err.count(" tapped on node-00"), 3);
        QVERIFY2(err.contains("capturing 3 pods"), err.constData());
        QVERIFY2(err.contains("stopped (--duration 8s reached); 3 pods"), err.constData());
        QCOMPARE(err.count("  Tapped  mirrored 5"), 3);
        // Nothing is left, and the one file has an interface per pod.
        QTRY_COMPARE_WITH_TIMEOUT(agentPods(*client).size(), 0, 10000);
        QFile capture(file);
        QVERIFY(capture.open(QIODevice::ReadOnly));
        podtap::receive::PcapngStreamReader reader;
        reader.append(capture.readAll());
        QCOMPARE(reader.interfaces().size(), 3);
        for (const podtap::receive::PcapngInterfaceInfo &interface : reader.interfaces()) {
            QVERIFY2(interface.name.startsWith(QStringLiteral("shop/node-agent-")) &&
                    interface.name.endsWith(QStringLiteral("/eth0")),
                qPrintable(interface.name));
        }
    }
};

QTEST_GUILESS_MAIN(TestPodtapctlTapWorkloadE2e)
#include "tst_podtapctl_tap_workload_e2e.moc"
