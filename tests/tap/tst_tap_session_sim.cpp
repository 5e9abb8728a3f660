// SPDX-License-Identifier: Apache-2.0
// Whole TapSessions against podtap-sim. The sim runs agent pods but no data path (that is the
// rig's job), so the tests speak for the agent by appending its JSON lines to the pod log through
// the sim's /sim/logs endpoint, and check what the session does with them.
#include "kube/sim_fixture.h"

#include "tap/agent_pod_spec.h"
#include "tap/session_sweep.h"
#include "tap/tap_session.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUdpSocket>

using namespace podtap;
using namespace podtap::test;

namespace {

struct Target
{
    QString namespaceName;
    QString pod;
    QString node;
};

// A Running seeded pod with a container ID, and a node other than its own.
std::optional<Target> findTarget(kube::KubeClient &client, QString *otherNode)
{
    kube::KubeReply *reply = waitFor(client.get(kube::KubeClient::corePath(QStringLiteral("pods"))));
    for (const QJsonValue &value : reply->json().value(QLatin1String("items")).toArray()) {
        const QJsonObject pod = value.toObject();
        const QJsonObject status = pod.value(QLatin1String("status")).toObject();
        const QJsonArray containers = status.value(QLatin1String("containerStatuses")).toArray();
        if (status.value(QLatin1String("phase")).toString() != QLatin1String("Running") || containers.isEmpty() ||
            !containers.first()
                 .toObject()
                 .value(QLatin1String("state"))
                 .toObject()
                 .contains(QLatin1String("running"))) {
            continue;
        }
        const QJsonObject metadata = pod.value(QLatin1String("metadata")).toObject();
        Target target {metadata.value(QLatin1String("namespace")).toString(),
            metadata.value(QLatin1String("name")).toString(),
            pod.value(QLatin1String("spec")).toObject().value(QLatin1String("nodeName")).toString()};
        kube::KubeReply *nodes = waitFor(client.get(kube::KubeClient::corePath(QStringLiteral("nodes"))));
        for (const QJsonValue &node : nodes->json().value(QLatin1String("items")).toArray()) {
            const QString name =
                node.toObject().value(QLatin1String("metadata")).toObject().value(QLatin1String("name")).toString();
            if (name != target.node) {
                *otherNode = name;
                return target;
            }
        }
    }
    return std::nullopt;
}

void speakForAgent(kube::KubeClient &client, const QString &pod, const QByteArray &line)
{
    kube::KubeRequest request;
    request.verb = "POST";
    request.path = QStringLiteral("/sim/logs");
    request.body = QJsonDocument(QJsonObject {{QStringLiteral("namespace"), QStringLiteral("podtap")},
                                     {QStringLiteral("name"), pod}, {QStringLiteral("line"), QString::fromUtf8(line)}})
                       .toJson(QJsonDocument::Compact);
    kube::KubeReply *reply = waitFor(client.send(request));
    QVERIFY2(reply->ok(), qPrintable(reply->error().toString()));
}

int podtapPodCount(kube::KubeClient &client)
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("labelSelector"), QStringLiteral("app.kubernetes.io/managed-by=podtap"));
    kube::KubeReply *reply =
        waitFor(client.get(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap")), query));
    return int(reply->json().value(QLatin1String("items")).toArray().size());
}

TapRequest requestFor(const Target &target, const QString &destinationNode)
{
    TapRequest request;
    request.targetNamespace = target.namespaceName;
    request.pod = target.pod;
    request.destination = Destination {Destination::Kind::Node, destinationNode};
    return request;
}

// The agent's `ready` line at the contract level this console speaks.
QByteArray readyLine(int contract = kAgentContract)
{
    return QByteArrayLiteral("{\"event\":\"ready\",\"device\":\"ptap1\",\"version\":\"9.8.7\",\"contract\":") +
        QByteArray::number(contract) + '}';
}

QString annotation(kube::KubeClient &client, const QString &pod, const char *key)
{
    kube::KubeReply *reply =
        waitFor(client.get(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap"), pod)));
    reply->deleteLater();
    return reply->json()
        .value(QLatin1String("metadata"))
        .toObject()
        .value(QLatin1String("annotations"))
        .toObject()
        .value(QLatin1String(key))
        .toString();
}

TapSessionOptions fastOptions()
{
    TapSessionOptions options;
    options.heartbeatIntervalMs = 300;
    options.podStartTimeoutMs = 20000;
    options.agentReadyTimeoutMs = 20000;
    options.deleteGraceSeconds = 0;
    return options;
}

} // namespace

/// @brief TapSession runs its steps against an API server, fails with a fix, and leaves nothing behind.
class TestTapSessionSim final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runsToReadyReportsStatsAndEndsWhenTheTargetGoes()
    {
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("2"), QStringLiteral("--pods"),
            QStringLiteral("12"), QStringLiteral("--nodes"), QStringLiteral("3")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        QString otherNode;
        const auto target = findTarget(*client, &otherNode);
        QVERIFY2(target, "the sim seeded no running pod");

        TapSession session(client.get(), requestFor(*target, otherNode), fastOptions());
        QSignalSpy ready(&session, &TapSession::ready);
        QSignalSpy finished(&session, &TapSession::finished);
        QStringList progress;
        connect(&session, &TapSession::progress, this, [&](const QString &text) { progress << text; });
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        QCOMPARE(podtapPodCount(*client), 2); // the sender, and a receiver on the destination node

        const QString sender = agentPodName(target->pod, session.sessionId(), AgentRole::Sender);
        speakForAgent(*client, sender, readyLine());
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() > 0, 10000); // it may come while speaking
        QCOMPARE(session.state(), TapSession::State::Running);

        speakForAgent(*client, sender,
            "{\"event\":\"stats\",\"ingress\":{\"packets\":7,\"bytes\":700},\"egress\":{\"packets\":3,\"bytes\":300}}");
        QTRY_COMPARE_WITH_TIMEOUT(session.stats().packets, 10, 10000);
        QCOMPARE(session.stats().bytes, 1000);

        // The heartbeat annotation moves forward while the session runs (it has seconds resolution).
        const auto heartbeat = [&] {
            kube::KubeReply *reply = waitFor(
                client->get(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap"), sender)));
            reply->deleteLater();
            return reply->json()
                .value(QLatin1String("metadata"))
                .toObject()
                .value(QLatin1String("annotations"))
                .toObject()
                .value(QLatin1String("podtap.io/heartbeat"))
                .toString();
        };
        const QString firstBeat = heartbeat();
        QVERIFY(!firstBeat.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(heartbeat() > firstBeat, 8000);

        speakForAgent(*client, sender, "{\"event\":\"stopped\",\"reason\":\"target-gone\"}");
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 20000); // it may come while speaking
        QCOMPARE(session.state(), TapSession::State::Stopped);
        QVERIFY2(session.stopReason().contains(QStringLiteral("target gone")), qPrintable(session.stopReason()));
        QTRY_COMPARE_WITH_TIMEOUT(podtapPodCount(*client), 0, 10000);
        QVERIFY2(progress.join(QLatin1Char('\n')).contains(QStringLiteral("Checking permissions")),
            qPrintable(progress.join(QLatin1Char('\n'))));
    }

    void heartbeatsAreWrittenOnTheServersClock_data()
    {
        QTest::addColumn<qint64>("skewSeconds");
        QTest::newRow("server a day ahead") << qint64(86400);
        QTest::newRow("server a day behind") << qint64(-86400);
    }

    void heartbeatsAreWrittenOnTheServersClock()
    {
        // The console's clock is a day off the cluster's: its heartbeats must still read as fresh to
        // a sweep (which ages them on the server's clock), or another console reaps a live tap.
        QFETCH(qint64, skewSeconds);
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
            QStringLiteral("6"), QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--clock-skew-seconds"),
            QString::number(skewSeconds)});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QString otherNode;
        const auto target = findTarget(*client, &otherNode);
        QVERIFY(target);
        TapSession session(client.get(), requestFor(*target, otherNode), fastOptions());
        QSignalSpy ready(&session, &TapSession::ready);
        QStringList said;
        connect(&session, &TapSession::progress, this, [&](const QString &text) { said << text; });
        connect(&session, &TapSession::warningRaised, this, [&](const QString &text) { said << text; });
        connect(&session, &TapSession::failed, this, [&](const QString &text) { said << text; });
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        const QString sender = agentPodName(target->pod, session.sessionId(), AgentRole::Sender);
        const auto ageOnServer = [&] {
            const QDateTime beat =
                QDateTime::fromString(annotation(*client, sender, kAnnotationHeartbeat), Qt::ISODate);
            return beat.isValid() ? beat.secsTo(QDateTime::currentDateTimeUtc().addSecs(skewSeconds)) : -999999;
        };
        // The first heartbeat, written with the pod.
        QVERIFY2(qAbs(ageOnServer()) < 60, qPrintable(QString::number(ageOnServer())));
        speakForAgent(*client, sender, readyLine());
        QTRY_VERIFY2_WITH_TIMEOUT(ready.count() > 0, qPrintable(said.join(QLatin1Char('\n'))), 10000);
        // The periodic ones (every 300 ms here).
        const QString first = annotation(*client, sender, kAnnotationHeartbeat);
        QTRY_VERIFY_WITH_TIMEOUT(annotation(*client, sender, kAnnotationHeartbeat) != first, 8000);
        QVERIFY2(qAbs(ageOnServer()) < 60, qPrintable(QString::number(ageOnServer())));

        SessionSweeper sweeper(client.get());
        QSignalSpy found(&sweeper, &SessionSweeper::found);
        sweeper.find(QStringLiteral("podtap"), 180);
        QVERIFY(found.wait(10000));
        QCOMPARE(sweeper.pods().size(), 2);
        QStringList reaped;
        for (const AgentPodInfo &pod : sweeper.leftovers()) {
            reaped << pod.name + QStringLiteral(": ") + pod.deadReason;
        }
        QVERIFY2(reaped.isEmpty(), qPrintable(reaped.join(QLatin1Char('\n'))));

        QSignalSpy finished(&session, &TapSession::finished);
        session.stop();
        QVERIFY(finished.wait(20000));
    }

    void refusesAnAgentOfAnotherContract_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::newRow("older contract") << readyLine(1);
        QTest::newRow("newer contract") << readyLine(kAgentContract + 1);
        QTest::newRow("no contract (a stale :latest agent)")
            << QByteArray("{\"event\":\"ready\",\"device\":\"ptap1\"}");
    }

    void refusesAnAgentOfAnotherContract()
    {
        QFETCH(QByteArray, line);
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
            QStringLiteral("6"), QStringLiteral("--nodes"), QStringLiteral("2")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QString otherNode;
        const auto target = findTarget(*client, &otherNode);
        QVERIFY(target);
        TapRequest request = requestFor(*target, otherNode);
        request.agentImage = QStringLiteral("registry.example/podtap-agent:old");
        TapSession session(client.get(), request, fastOptions());
        QSignalSpy ready(&session, &TapSession::ready);
        QSignalSpy failed(&session, &TapSession::failed);
        QSignalSpy finished(&session, &TapSession::finished);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        speakForAgent(*client, agentPodName(target->pod, session.sessionId(), AgentRole::Sender), line);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 20000); // it may come while speaking
        QCOMPARE(ready.count(), 0);
        QCOMPARE(session.state(), TapSession::State::Failed);
        QCOMPARE(failed.count(), 1);
        const QString summary = failed.first().at(0).toString();
        const QString fix = failed.first().at(1).toString();
        QVERIFY2(summary.contains(QStringLiteral("registry.example/podtap-agent:old")), qPrintable(summary));
        QVERIFY2(summary.contains(QStringLiteral("contract %1").arg(kAgentContract)), qPrintable(summary));
        QVERIFY2(fix.contains(QStringLiteral("--image ") + TapPlan::defaultImage()), qPrintable(fix));
        QTRY_COMPARE_WITH_TIMEOUT(podtapPodCount(*client), 0, 10000);
    }

    void theFinalCountersComeFromStopped()
    {
        // The agent answers its pod's deletion with `stopped` and its final counters; the session
        // reads its log on until then, so the summary is not the last periodic `stats`.
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
            QStringLiteral("6"), QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--stop-delay"),
            QStringLiteral("20000")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QString otherNode;
        const auto target = findTarget(*client, &otherNode);
        QVERIFY(target);
        TapSessionOptions options = fastOptions();
        options.deleteGraceSeconds = 30; // the pod stays terminating (the sim's stop delay) like a real one
        TapSession session(client.get(), requestFor(*target, otherNode), options);
        QSignalSpy ready(&session, &TapSession::ready);
        QSignalSpy finished(&session, &TapSession::finished);
        QStringList progress;
        connect(&session, &TapSession::progress, this, [&](const QString &text) { progress << text; });
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        const QString sender = agentPodName(target->pod, session.sessionId(), AgentRole::Sender);
        speakForAgent(*client, sender, readyLine());
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() > 0, 10000); // it may come while speaking
        speakForAgent(*client, sender, "{\"event\":\"stats\",\"ingress\":{\"packets\":2,\"bytes\":200}}");
        QTRY_COMPARE_WITH_TIMEOUT(session.stats().packets, 2, 10000);

        session.stop(QStringLiteral("10 packets were captured"));
        // The agent sees its pod's deletion (a deletionTimestamp) and answers with `stopped`.
        const auto terminating = [&] {
            kube::KubeReply *reply = waitFor(
                client->get(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap"), sender)));
            reply->deleteLater();
            return reply->json()
                .value(QLatin1String("metadata"))
                .toObject()
                .contains(QLatin1String("deletionTimestamp"));
        };
        QTRY_VERIFY_WITH_TIMEOUT(terminating(), 10000);
        speakForAgent(*client, sender,
            "{\"event\":\"stopped\",\"reason\":\"signal\",\"ingress\":{\"packets\":9,\"bytes\":900},"
            "\"egress\":{\"packets\":3,\"bytes\":300}}");
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 20000); // it may come while speaking
        QCOMPARE(session.state(), TapSession::State::Stopped);
        QCOMPARE(session.stats().packets, 12);
        QCOMPARE(session.stats().bytes, 1200);
        QVERIFY2(progress.contains(QStringLiteral("Waiting for the agent's final counters")),
            qPrintable(progress.join(QLatin1Char('\n'))));
    }

    // "This machine" without root: the session opens the tunnel port itself, asks the agent for an egress VNI,
    // writes the file with the pod's interface, warns when mirrored packets do not arrive, and lets the port go.
    void thisMachineRunsTheUserspaceReceiver()
    {
        // Without pods/exec the session cannot fall back to the stream: it keeps the tunnel and says why not.
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
            QStringLiteral("6"), QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--forbid"),
            QStringLiteral("create:pods/exec:podtap")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QString otherNode;
        const auto target = findTarget(*client, &otherNode);
        QVERIFY(target);
        // A free port to receive on (the session binds it, dual-stack).
        QUdpSocket probe;
        QVERIFY(probe.bind(QHostAddress::Any, 0));
        const int port = probe.localPort();
        probe.close();

        QTemporaryDir dir;
        TapRequest request = requestFor(*target, otherNode);
        request.destination = Destination {};
        request.port = port;
        TapSessionOptions options = fastOptions();
        options.localIp = QStringLiteral("127.0.0.1");
        options.capture.outputFile = dir.filePath(QStringLiteral("tap.pcapng"));
        TapSession session(client.get(), request, options);
        QSignalSpy ready(&session, &TapSession::ready);
        QSignalSpy finished(&session, &TapSession::finished);
        QStringList warnings;
        connect(&session, &TapSession::warningRaised, this, [&](const QString &text) { warnings << text; });
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        QVERIFY(session.hasUserspaceReceiver());
        QUdpSocket taken;
        QVERIFY2(!taken.bind(QHostAddress::Any, quint16(port)), "the session should hold the tunnel port");

        const QString sender = agentPodName(target->pod, session.sessionId(), AgentRole::Sender);
        kube::KubeReply *pod =
            waitFor(client->get(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap"), sender)));
        const QJsonObject podJson = pod->json();
        const QString egress = podJson.value(QLatin1String("metadata"))
                                   .toObject()
                                   .value(QLatin1String("annotations"))
                                   .toObject()
                                   .value(QLatin1String("podtap.io/egress-vni"))
                                   .toString();
        QVERIFY2(egress.toUInt() != 0 && egress.toUInt() != session.plan().vni, qPrintable(egress));
        QCOMPARE(session.plan().egressVni, egress.toUInt());
        QVERIFY(QJsonDocument(podJson).toJson().contains("--egress-vni"));
        QCOMPARE(podtapPodCount(*client), 1); // no receiver pod: this machine receives

        speakForAgent(*client, sender, readyLine());
        QTRY_VERIFY2_WITH_TIMEOUT(ready.count() == 1,
            qPrintable(TapSession::stateName(session.state()) + QLatin1Char(' ') + session.failureSummary() +
                QLatin1Char(' ') + warnings.join(QLatin1Char(' '))),
            20000);
        QCOMPARE(session.captureInterface(), QStringLiteral("%1/%2/eth0").arg(target->namespaceName, target->pod));
        // The agent mirrored packets, and none arrive (the sim has no data path): the session says why.
        speakForAgent(*client, sender,
            "{\"event\":\"stats\",\"ingress\":{\"packets\":7,\"bytes\":700},\"egress\":{\"packets\":3,"
            "\"bytes\":300}}");
        QTRY_VERIFY2_WITH_TIMEOUT(warnings.join(QLatin1Char('\n')).contains(QStringLiteral("UDP")),
            qPrintable(warnings.join(QLatin1Char('\n'))), 20000);
        QVERIFY2(warnings.join(QLatin1Char('\n'))
                     .contains(QStringLiteral("through the API server, which needs no "
                                              "tunnel, is not allowed")),
            qPrintable(warnings.join(QLatin1Char('\n'))));
        QVERIFY2(warnings.join(QLatin1Char('\n')).contains(QStringLiteral("pods/exec")),
            qPrintable(warnings.join(QLatin1Char('\n'))));
        QCOMPARE(session.dataPath(), TapSession::DataPath::Tunnel);
        QCOMPARE(session.state(), TapSession::State::Running);

        session.stop();
        QVERIFY(finished.wait(20000));
        QCOMPARE(session.state(), TapSession::State::Stopped);
        QVERIFY2(taken.bind(QHostAddress::Any, quint16(port)), "stop should release the tunnel port");
        const ProcessResult interfaces =
            run({QStringLiteral("capinfos"), QStringLiteral("-I"), options.capture.outputFile});
        QVERIFY2(interfaces.out.contains(QStringLiteral("%1/%2/eth0").arg(target->namespaceName, target->pod).toUtf8()),
            interfaces.out.constData());
        QTRY_COMPARE_WITH_TIMEOUT(podtapPodCount(*client), 0, 10000);
    }

    // With pods/exec allowed, "This machine" gives up the tunnel that brings nothing, deletes the sender and
    // starts the streamer pod, and says why. (Without --rig the sim's exec has no agent to run: the stream itself
    // then fails with the runtime's words, and the session still leaves nothing behind. The rig e2e test runs it.)
    void thisMachineSwitchesToTheStreamWhenNoTunnelPacketArrives()
    {
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
            QStringLiteral("6"), QStringLiteral("--nodes"), QStringLiteral("2")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QString otherNode;
        const auto target = findTarget(*client, &otherNode);
        QVERIFY(target);
        QUdpSocket probe;
        QVERIFY(probe.bind(QHostAddress::Any, 0));
        const int port = probe.localPort();
        probe.close();

        TapRequest request = requestFor(*target, otherNode);
        request.destination = Destination {};
        request.port = port;
        TapSessionOptions options = fastOptions();
        options.localIp = QStringLiteral("127.0.0.1");
        TapSession session(client.get(), request, options);
        QSignalSpy ready(&session, &TapSession::ready);
        QSignalSpy finished(&session, &TapSession::finished);
        QSignalSpy paths(&session, &TapSession::dataPathChanged);
        QStringList said;
        connect(&session, &TapSession::progress, this, [&](const QString &text) { said << text; });
        connect(&session, &TapSession::warningRaised, this, [&](const QString &text) { said << text; });
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        const QString sender = agentPodName(target->pod, session.sessionId(), AgentRole::Sender);
        const QString streamer = agentPodName(target->pod, session.sessionId(), AgentRole::Streamer);
        speakForAgent(*client, sender, readyLine());
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() == 1, 20000);
        QCOMPARE(session.dataPath(), TapSession::DataPath::Tunnel);
        QVERIFY2(session.dataPathText().startsWith(QStringLiteral("tunnel: VXLAN from node ")),
            qPrintable(session.dataPathText()));
        speakForAgent(*client, sender, "{\"event\":\"stats\",\"ingress\":{\"packets\":12,\"bytes\":1200}}");

        QTRY_VERIFY2_WITH_TIMEOUT(
            session.dataPath() == TapSession::DataPath::Stream, qPrintable(said.join(QLatin1Char('\n'))), 20000);
        const QString why = session.dataPathText();
        QVERIFY2(why.contains(QStringLiteral("tunnel: no packet from node %1").arg(target->node)), qPrintable(why));
        QVERIFY2(why.contains(QStringLiteral("although the agent mirrored 12; streaming through the API server "
                                             "instead")),
            qPrintable(why));
        QCOMPARE(paths.last().at(0).toString(), why);
        // The tunnel port is given back at once; the file and viewers would go on.
        QUdpSocket taken;
        QVERIFY2(taken.bind(QHostAddress::Any, quint16(port)), qPrintable(taken.errorString()));
        taken.close();
        // The sender goes and the streamer comes, on the target's node, holding.
        QTRY_VERIFY2_WITH_TIMEOUT(
            said.join(QLatin1Char('\n')).contains(QStringLiteral("through the API server (pods/exec)")) ||
                session.state() == TapSession::State::Failed || session.state() == TapSession::State::Stopping,
            qPrintable(said.join(QLatin1Char('\n'))), 20000);
        QVERIFY2(said.join(QLatin1Char('\n')).contains(streamer), qPrintable(said.join(QLatin1Char('\n'))));
        QVERIFY2(said.join(QLatin1Char('\n'))
                     .contains(QStringLiteral("Deleting agent pod podtap/%1 (the mirror)").arg(sender)),
            qPrintable(said.join(QLatin1Char('\n'))));
        // Without a rig the exec has no podtap-agent to run: the stream fails, naming the pod and the reason.
        QVERIFY(finished.wait(30000) || session.state() == TapSession::State::Failed);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::Failed, 30000);
        QVERIFY2(session.failureSummary().contains(QStringLiteral("stream")), qPrintable(session.failureSummary()));
        QVERIFY2(session.failureSummary().contains(streamer), qPrintable(session.failureSummary()));
        QTRY_COMPARE_WITH_TIMEOUT(podtapPodCount(*client), 0, 10000);
    }

    void apiServerNeedsExecAndSaysWhatItGrants_data()
    {
        QTest::addColumn<QString>("verb");
        QTest::newRow("create") << QStringLiteral("create");
        // An exec over WebSocket is an HTTP GET: API servers authorize it as get on pods/exec (newer ones as
        // create too), so a rule with create alone is refused at the upgrade.
        QTest::newRow("get") << QStringLiteral("get");
    }

    // --to api without pods/exec: refused in preflight, with the rule and what it grants.
    void apiServerNeedsExecAndSaysWhatItGrants()
    {
        QFETCH(QString, verb);
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
            QStringLiteral("6"), QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--forbid"),
            verb + QStringLiteral(":pods/exec:podtap")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QString otherNode;
        const auto target = findTarget(*client, &otherNode);
        QVERIFY(target);
        TapRequest request = requestFor(*target, otherNode);
        request.destination = Destination {Destination::Kind::ApiServer, {}};
        TapSession session(client.get(), request, fastOptions());
        QSignalSpy failed(&session, &TapSession::failed);
        QSignalSpy finished(&session, &TapSession::finished);
        session.start();
        QVERIFY(finished.wait(30000));
        QCOMPARE(session.state(), TapSession::State::Failed);
        const QString text = failed.first().at(0).toString() + QLatin1Char('\n') + failed.first().at(1).toString();
        QVERIFY2(text.contains(verb + QStringLiteral(" pods/exec")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("run any command")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("preflight"), Qt::CaseInsensitive) ||
                text.contains(QStringLiteral("which a tap needs")),
            qPrintable(text));
        QCOMPARE(podtapPodCount(*client), 0);
    }

    void stopIsIdempotentAndLeavesNothing()
    {
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
            QStringLiteral("6"), QStringLiteral("--nodes"), QStringLiteral("2")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QString otherNode;
        const auto target = findTarget(*client, &otherNode);
        QVERIFY(target);
        TapSession session(client.get(), requestFor(*target, otherNode), fastOptions());
        QSignalSpy finished(&session, &TapSession::finished);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        session.stop();
        session.stop();
        QVERIFY(finished.wait(20000));
        session.stop();
        QTest::qWait(200);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(session.state(), TapSession::State::Stopped);
        QTRY_COMPARE_WITH_TIMEOUT(podtapPodCount(*client), 0, 10000);
    }

    void refusalsFailWithTheirFix_data()
    {
        QTest::addColumn<QStringList>("simFlags");
        QTest::addColumn<QString>("image");
        QTest::addColumn<QString>("expectedInFix");
        QTest::newRow("pod security") << QStringList {QStringLiteral("--pod-security"),
                                             QStringLiteral("podtap=baseline")}
                                      << QString() << QStringLiteral("pod-security.kubernetes.io/enforce=privileged");
        QTest::newRow("rbac") << QStringList {QStringLiteral("--forbid"), QStringLiteral("create:pods:podtap")}
                              << QString() << QStringLiteral("kind: Role");
        QTest::newRow("image pull") << QStringList {} << QStringLiteral("registry.example/does-not-exist:1")
                                    << QStringLiteral("image");
    }

    void refusalsFailWithTheirFix()
    {
        QFETCH(QStringList, simFlags);
        QFETCH(QString, image);
        QFETCH(QString, expectedInFix);
        SimFixture sim(simFlags +
            QStringList {QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
                QStringLiteral("6"), QStringLiteral("--nodes"), QStringLiteral("2")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QString otherNode;
        const auto target = findTarget(*client, &otherNode);
        QVERIFY(target);
        TapRequest request = requestFor(*target, otherNode);
        request.agentImage = image;
        TapSession session(client.get(), request, fastOptions());
        QSignalSpy failed(&session, &TapSession::failed);
        QSignalSpy finished(&session, &TapSession::finished);
        session.start();
        QVERIFY(finished.wait(30000));
        QCOMPARE(session.state(), TapSession::State::Failed);
        QCOMPARE(failed.count(), 1);
        const QString text = failed.first().at(0).toString() + QLatin1Char('\n') + failed.first().at(1).toString();
        QVERIFY2(text.contains(expectedInFix, Qt::CaseInsensitive), qPrintable(text));
        QTRY_COMPARE_WITH_TIMEOUT(podtapPodCount(*client), 0, 10000);
    }

    void missingPodNamesItAndTheFix()
    {
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
            QStringLiteral("2"), QStringLiteral("--nodes"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        TapRequest request;
        request.targetNamespace = QStringLiteral("default");
        request.pod = QStringLiteral("no-such-pod");
        request.destination = Destination {Destination::Kind::Ip, QStringLiteral("192.0.2.50")};
        TapSession session(client.get(), request, fastOptions());
        QSignalSpy failed(&session, &TapSession::failed);
        session.start();
        QVERIFY(failed.wait(15000));
        QCOMPARE(failed.first().at(0).toString(), QStringLiteral("Pod default/no-such-pod was not found."));
        QVERIFY(failed.first().at(1).toString().contains(QStringLiteral("kubectl get pods -n default")));
    }
};

QTEST_GUILESS_MAIN(TestTapSessionSim)
#include "tst_tap_session_sim.moc"
