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

// The agent's `ready` line at the contract level this console speaks.
QByteArray readyLine(int contract = kAgentContract)
{
    return QByteArrayLiteral("{\"event\":\"ready\",\"device\":\"ptap1\",\"version\":\"9.8.7\",\"contract\":") +
        QByteArray::number(contract) + '}';
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

// A UDP port nothing listens on now (the session binds it, dual-stack).
int freeUdpPort()
{
    QUdpSocket probe;
    if (!probe.bind(QHostAddress::Any, 0)) {
        return -1;
    }
    return probe.localPort();
}

/// @brief One test's podtap-sim (a cluster of @p namespaces, @p pods and @p nodes, plus @p flags), a client of it,
/// a Running target pod and a node other than the target's: where every session test starts.
class TapSim final
{
public:
    explicit TapSim(const QStringList &flags = {}, int namespaces = 1, int pods = 6, int nodes = 2)
        : m_sim(flags +
              QStringList {QStringLiteral("--namespaces"), QString::number(namespaces), QStringLiteral("--pods"),
                  QString::number(pods), QStringLiteral("--nodes"), QString::number(nodes)})
    {
        if (m_sim.isReady()) {
            m_client = m_sim.client();
        }
        if (m_client) {
            m_target = findTarget(*m_client, &m_otherNode);
        }
    }

    SimFixture &sim() { return m_sim; }
    kube::KubeClient *client() const { return m_client.get(); }
    bool hasTarget() const { return m_target.has_value(); }
    const Target &target() const { return *m_target; }

    /// A tap of the target pod to a receiver on the other node.
    TapRequest request() const
    {
        TapRequest request;
        request.targetNamespace = m_target->namespaceName;
        request.pod = m_target->pod;
        request.destination = Destination {Destination::Kind::Node, m_otherNode};
        return request;
    }

    /// The name of @p session's agent pod in @p role.
    QString agentPod(const TapSession &session, AgentRole role = AgentRole::Sender) const
    {
        return agentPodName(m_target->pod, session.sessionId(), role);
    }

    /// Appends @p line to @p pod's log, as its agent would print it.
    void speakForAgent(const QString &pod, const QByteArray &line) const
    {
        kube::KubeRequest request;
        request.verb = "POST";
        request.path = QStringLiteral("/sim/logs");
        request.body =
            QJsonDocument(QJsonObject {{QStringLiteral("namespace"), QStringLiteral("podtap")},
                              {QStringLiteral("name"), pod}, {QStringLiteral("line"), QString::fromUtf8(line)}})
                .toJson(QJsonDocument::Compact);
        kube::KubeReply *reply = waitFor(m_client->send(request));
        QVERIFY2(reply->ok(), qPrintable(reply->error().toString()));
    }

    /// The agent pods podtap manages in the podtap namespace.
    int podtapPodCount() const
    {
        QUrlQuery query;
        query.addQueryItem(QStringLiteral("labelSelector"), QStringLiteral("app.kubernetes.io/managed-by=podtap"));
        kube::KubeReply *reply =
            waitFor(m_client->get(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap")), query));
        return int(reply->json().value(QLatin1String("items")).toArray().size());
    }

    /// Agent pod @p pod as the API server has it now.
    QJsonObject agentPodJson(const QString &pod) const
    {
        kube::KubeReply *reply =
            waitFor(m_client->get(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap"), pod)));
        reply->deleteLater();
        return reply->json();
    }

    /// Annotation @p key of agent pod @p pod.
    QString annotation(const QString &pod, const char *key) const
    {
        return agentPodJson(pod)
            .value(QLatin1String("metadata"))
            .toObject()
            .value(QLatin1String("annotations"))
            .toObject()
            .value(QLatin1String(key))
            .toString();
    }

private:
    SimFixture m_sim;
    std::unique_ptr<kube::KubeClient> m_client;
    std::optional<Target> m_target;
    QString m_otherNode;
};

/// @brief What a session under test says: its signals, and its lines as the operator reads them.
class Heard final
{
public:
    explicit Heard(TapSession &session)
        : ready(&session, &TapSession::ready)
        , failed(&session, &TapSession::failed)
        , finished(&session, &TapSession::finished)
        , dataPaths(&session, &TapSession::dataPathChanged)
    {
        QObject::connect(&session, &TapSession::progress, &m_context, [this](const QString &text) {
            progress << text;
            said << text;
        });
        QObject::connect(&session, &TapSession::warningRaised, &m_context, [this](const QString &text) {
            warnings << text;
            said << text;
        });
    }

    /// Everything said, failures last: for a failed check's message.
    QString transcript() const
    {
        QStringList all = said;
        for (const QList<QVariant> &failure : failed) {
            all << failure.value(0).toString();
        }
        return all.join(QLatin1Char('\n'));
    }

    /// The first failure's summary and fix, a line each.
    QString firstFailure() const
    {
        return failed.isEmpty() ? QString()
                                : failed.first().at(0).toString() + QLatin1Char('\n') + failed.first().at(1).toString();
    }

    QSignalSpy ready;
    QSignalSpy failed;
    QSignalSpy finished;
    QSignalSpy dataPaths;
    QStringList progress;
    QStringList warnings;
    QStringList said; ///< progress and warnings, in the order they came

private:
    QObject m_context; // ends the recording with this object, whichever of it and the session goes first
};

// The sim, a client of it and a target pod, or the test fails here.
#define REQUIRE_TARGET(tap)                                                                                            \
    PODTAP_REQUIRE_SIM((tap).sim());                                                                                   \
    QVERIFY2((tap).client(), "no client for the sim's kubeconfig");                                                    \
    QVERIFY2((tap).hasTarget(), "the sim seeded no running pod")

} // namespace

/// @brief TapSession runs its steps against an API server, fails with a fix, and leaves nothing behind.
class TestTapSessionSim final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runsToReadyReportsStatsAndEndsWhenTheTargetGoes()
    {
        TapSim tap({}, 2, 12, 3);
        REQUIRE_TARGET(tap);
        TapSession session(tap.client(), tap.request(), fastOptions());
        Heard heard(session);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        QCOMPARE(tap.podtapPodCount(), 2); // the sender, and a receiver on the destination node

        const QString sender = tap.agentPod(session);
        tap.speakForAgent(sender, readyLine());
        QTRY_VERIFY_WITH_TIMEOUT(heard.ready.count() > 0, 10000); // it may come while speaking
        QCOMPARE(session.state(), TapSession::State::Running);

        tap.speakForAgent(sender,
            "{\"event\":\"stats\",\"ingress\":{\"packets\":7,\"bytes\":700},\"egress\":{\"packets\":3,\"bytes\":300}}");
        QTRY_COMPARE_WITH_TIMEOUT(session.stats().packets, 10, 10000);
        QCOMPARE(session.stats().bytes, 1000);

        // The heartbeat annotation moves forward while the session runs (it has seconds resolution).
        const QString firstBeat = tap.annotation(sender, kAnnotationHeartbeat);
        QVERIFY(!firstBeat.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(tap.annotation(sender, kAnnotationHeartbeat) > firstBeat, 8000);

        tap.speakForAgent(sender, "{\"event\":\"stopped\",\"reason\":\"target-gone\"}");
        QTRY_VERIFY_WITH_TIMEOUT(heard.finished.count() > 0, 20000); // it may come while speaking
        QCOMPARE(session.state(), TapSession::State::Stopped);
        QVERIFY2(session.stopReason().contains(QStringLiteral("target gone")), qPrintable(session.stopReason()));
        QTRY_COMPARE_WITH_TIMEOUT(tap.podtapPodCount(), 0, 10000);
        QVERIFY2(heard.progress.join(QLatin1Char('\n')).contains(QStringLiteral("Checking permissions")),
            qPrintable(heard.progress.join(QLatin1Char('\n'))));
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
        TapSim tap({QStringLiteral("--clock-skew-seconds"), QString::number(skewSeconds)});
        REQUIRE_TARGET(tap);
        TapSession session(tap.client(), tap.request(), fastOptions());
        Heard heard(session);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        const QString sender = tap.agentPod(session);
        const auto ageOnServer = [&] {
            const QDateTime beat = QDateTime::fromString(tap.annotation(sender, kAnnotationHeartbeat), Qt::ISODate);
            return beat.isValid() ? beat.secsTo(QDateTime::currentDateTimeUtc().addSecs(skewSeconds)) : -999999;
        };
        // The first heartbeat, written with the pod.
        QVERIFY2(qAbs(ageOnServer()) < 60, qPrintable(QString::number(ageOnServer())));
        tap.speakForAgent(sender, readyLine());
        QTRY_VERIFY2_WITH_TIMEOUT(heard.ready.count() > 0, qPrintable(heard.transcript()), 10000);
        // The periodic ones (every 300 ms here).
        const QString first = tap.annotation(sender, kAnnotationHeartbeat);
        QTRY_VERIFY_WITH_TIMEOUT(tap.annotation(sender, kAnnotationHeartbeat) != first, 8000);
        QVERIFY2(qAbs(ageOnServer()) < 60, qPrintable(QString::number(ageOnServer())));

        SessionSweeper sweeper(tap.client());
        QSignalSpy found(&sweeper, &SessionSweeper::found);
        sweeper.find(QStringLiteral("podtap"), 180);
        QVERIFY(found.wait(10000));
        QCOMPARE(sweeper.pods().size(), 2);
        QStringList reaped;
        for (const AgentPodInfo &pod : sweeper.leftovers()) {
            reaped << pod.name + QStringLiteral(": ") + pod.deadReason;
        }
        QVERIFY2(reaped.isEmpty(), qPrintable(reaped.join(QLatin1Char('\n'))));

        session.stop();
        QVERIFY(heard.finished.wait(20000));
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
        TapSim tap;
        REQUIRE_TARGET(tap);
        TapRequest request = tap.request();
        request.agentImage = QStringLiteral("registry.example/podtap-agent:old");
        TapSession session(tap.client(), request, fastOptions());
        Heard heard(session);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        tap.speakForAgent(tap.agentPod(session), line);
        QTRY_VERIFY_WITH_TIMEOUT(heard.finished.count() > 0, 20000); // it may come while speaking
        QCOMPARE(heard.ready.count(), 0);
        QCOMPARE(session.state(), TapSession::State::Failed);
        QCOMPARE(heard.failed.count(), 1);
        const QString summary = heard.failed.first().at(0).toString();
        const QString fix = heard.failed.first().at(1).toString();
        QVERIFY2(summary.contains(QStringLiteral("registry.example/podtap-agent:old")), qPrintable(summary));
        QVERIFY2(summary.contains(QStringLiteral("contract %1").arg(kAgentContract)), qPrintable(summary));
        QVERIFY2(fix.contains(QStringLiteral("--image ") + TapPlan::defaultImage()), qPrintable(fix));
        QTRY_COMPARE_WITH_TIMEOUT(tap.podtapPodCount(), 0, 10000);
    }

    void theFinalCountersComeFromStopped()
    {
        // The agent answers its pod's deletion with `stopped` and its final counters; the session
        // reads its log on until then, so the summary is not the last periodic `stats`.
        TapSim tap({QStringLiteral("--stop-delay"), QStringLiteral("20000")});
        REQUIRE_TARGET(tap);
        TapSessionOptions options = fastOptions();
        options.deleteGraceSeconds = 30; // the pod stays terminating (the sim's stop delay) like a real one
        TapSession session(tap.client(), tap.request(), options);
        Heard heard(session);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        const QString sender = tap.agentPod(session);
        tap.speakForAgent(sender, readyLine());
        QTRY_VERIFY_WITH_TIMEOUT(heard.ready.count() > 0, 10000); // it may come while speaking
        tap.speakForAgent(sender, "{\"event\":\"stats\",\"ingress\":{\"packets\":2,\"bytes\":200}}");
        QTRY_COMPARE_WITH_TIMEOUT(session.stats().packets, 2, 10000);

        session.stop(QStringLiteral("10 packets were captured"));
        // The agent sees its pod's deletion (a deletionTimestamp) and answers with `stopped`.
        const auto terminating = [&] {
            return tap.agentPodJson(sender)
                .value(QLatin1String("metadata"))
                .toObject()
                .contains(QLatin1String("deletionTimestamp"));
        };
        QTRY_VERIFY_WITH_TIMEOUT(terminating(), 10000);
        tap.speakForAgent(sender,
            "{\"event\":\"stopped\",\"reason\":\"signal\",\"ingress\":{\"packets\":9,\"bytes\":900},"
            "\"egress\":{\"packets\":3,\"bytes\":300}}");
        QTRY_VERIFY_WITH_TIMEOUT(heard.finished.count() > 0, 20000); // it may come while speaking
        QCOMPARE(session.state(), TapSession::State::Stopped);
        QCOMPARE(session.stats().packets, 12);
        QCOMPARE(session.stats().bytes, 1200);
        QVERIFY2(heard.progress.contains(QStringLiteral("Waiting for the agent's final counters")),
            qPrintable(heard.progress.join(QLatin1Char('\n'))));
    }

    // "This machine" without root: the session opens the tunnel port itself, asks the agent for an egress VNI,
    // writes the file with the pod's interface, warns when mirrored packets do not arrive, and lets the port go.
    void thisMachineRunsTheUserspaceReceiver()
    {
        // Without pods/exec the session cannot fall back to the stream: it keeps the tunnel and says why not.
        TapSim tap({QStringLiteral("--forbid"), QStringLiteral("create:pods/exec:podtap")});
        REQUIRE_TARGET(tap);
        const int port = freeUdpPort();
        QVERIFY(port > 0);

        QTemporaryDir dir;
        TapRequest request = tap.request();
        request.destination = Destination {};
        request.port = port;
        TapSessionOptions options = fastOptions();
        options.localIp = QStringLiteral("127.0.0.1");
        options.capture.outputFile = dir.filePath(QStringLiteral("tap.pcapng"));
        TapSession session(tap.client(), request, options);
        Heard heard(session);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        QVERIFY(session.hasUserspaceReceiver());
        QUdpSocket taken;
        QVERIFY2(!taken.bind(QHostAddress::Any, quint16(port)), "the session should hold the tunnel port");

        const QString sender = tap.agentPod(session);
        const QJsonObject podJson = tap.agentPodJson(sender);
        const QString egress = podJson.value(QLatin1String("metadata"))
                                   .toObject()
                                   .value(QLatin1String("annotations"))
                                   .toObject()
                                   .value(QLatin1String(kAnnotationEgressVni))
                                   .toString();
        QVERIFY2(egress.toUInt() != 0 && egress.toUInt() != session.plan().vni, qPrintable(egress));
        QCOMPARE(session.plan().egressVni, egress.toUInt());
        QVERIFY(QJsonDocument(podJson).toJson().contains("--egress-vni"));
        QCOMPARE(tap.podtapPodCount(), 1); // no receiver pod: this machine receives

        tap.speakForAgent(sender, readyLine());
        QTRY_VERIFY2_WITH_TIMEOUT(heard.ready.count() == 1,
            qPrintable(TapSession::stateName(session.state()) + QLatin1Char(' ') + session.failureSummary() +
                QLatin1Char(' ') + heard.warnings.join(QLatin1Char(' '))),
            20000);
        const QString podInterface = QStringLiteral("%1/%2/eth0").arg(tap.target().namespaceName, tap.target().pod);
        QCOMPARE(session.captureInterface(), podInterface);
        // The agent mirrored packets, and none arrive (the sim has no data path): the session says why.
        tap.speakForAgent(sender,
            "{\"event\":\"stats\",\"ingress\":{\"packets\":7,\"bytes\":700},\"egress\":{\"packets\":3,"
            "\"bytes\":300}}");
        const auto warnings = [&] { return heard.warnings.join(QLatin1Char('\n')); };
        QTRY_VERIFY2_WITH_TIMEOUT(warnings().contains(QStringLiteral("UDP")), qPrintable(warnings()), 20000);
        QVERIFY2(warnings().contains(QStringLiteral("through the API server, which needs no "
                                                    "tunnel, is not allowed")),
            qPrintable(warnings()));
        QVERIFY2(warnings().contains(QStringLiteral("pods/exec")), qPrintable(warnings()));
        QCOMPARE(session.dataPath(), TapSession::DataPath::Tunnel);
        QCOMPARE(session.state(), TapSession::State::Running);

        session.stop();
        QVERIFY(heard.finished.wait(20000));
        QCOMPARE(session.state(), TapSession::State::Stopped);
        QVERIFY2(taken.bind(QHostAddress::Any, quint16(port)), "stop should release the tunnel port");
        const ProcessResult interfaces =
            run({QStringLiteral("capinfos"), QStringLiteral("-I"), options.capture.outputFile});
        QVERIFY2(interfaces.out.contains(podInterface.toUtf8()), interfaces.out.constData());
        QTRY_COMPARE_WITH_TIMEOUT(tap.podtapPodCount(), 0, 10000);
    }

    // With pods/exec allowed, "This machine" gives up the tunnel that brings nothing, deletes the sender and
    // starts the streamer pod, and says why. (Without --rig the sim's exec has no agent to run: the stream itself
    // then fails with the runtime's words, and the session still leaves nothing behind. The rig e2e test runs it.)
    void thisMachineSwitchesToTheStreamWhenNoTunnelPacketArrives()
    {
        TapSim tap;
        REQUIRE_TARGET(tap);
        const int port = freeUdpPort();
        QVERIFY(port > 0);

        TapRequest request = tap.request();
        request.destination = Destination {};
        request.port = port;
        TapSessionOptions options = fastOptions();
        options.localIp = QStringLiteral("127.0.0.1");
        TapSession session(tap.client(), request, options);
        Heard heard(session);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        const QString sender = tap.agentPod(session);
        const QString streamer = tap.agentPod(session, AgentRole::Streamer);
        tap.speakForAgent(sender, readyLine());
        QTRY_VERIFY_WITH_TIMEOUT(heard.ready.count() == 1, 20000);
        QCOMPARE(session.dataPath(), TapSession::DataPath::Tunnel);
        QVERIFY2(session.dataPathText().startsWith(QStringLiteral("tunnel: VXLAN from node ")),
            qPrintable(session.dataPathText()));
        tap.speakForAgent(sender, "{\"event\":\"stats\",\"ingress\":{\"packets\":12,\"bytes\":1200}}");

        const auto said = [&] { return heard.said.join(QLatin1Char('\n')); };
        QTRY_VERIFY2_WITH_TIMEOUT(session.dataPath() == TapSession::DataPath::Stream, qPrintable(said()), 20000);
        const QString why = session.dataPathText();
        QVERIFY2(
            why.contains(QStringLiteral("tunnel: no packet from node %1").arg(tap.target().node)), qPrintable(why));
        QVERIFY2(why.contains(QStringLiteral("although the agent mirrored 12; streaming through the API server "
                                             "instead")),
            qPrintable(why));
        QCOMPARE(heard.dataPaths.last().at(0).toString(), why);
        // The tunnel port is given back at once; the file and viewers would go on.
        QUdpSocket taken;
        QVERIFY2(taken.bind(QHostAddress::Any, quint16(port)), qPrintable(taken.errorString()));
        taken.close();
        // The sender goes and the streamer comes, on the target's node, holding.
        QTRY_VERIFY2_WITH_TIMEOUT(said().contains(QStringLiteral("through the API server (pods/exec)")) ||
                session.state() == TapSession::State::Failed || session.state() == TapSession::State::Stopping,
            qPrintable(said()), 20000);
        QVERIFY2(said().contains(streamer), qPrintable(said()));
        QVERIFY2(said().contains(QStringLiteral("Deleting agent pod podtap/%1 (the mirror)").arg(sender)),
            qPrintable(said()));
        // Without a rig the exec has no podtap-agent to run: the stream fails, naming the pod and the reason.
        QVERIFY(heard.finished.wait(30000) || session.state() == TapSession::State::Failed);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::Failed, 30000);
        QVERIFY2(session.failureSummary().contains(QStringLiteral("stream")), qPrintable(session.failureSummary()));
        QVERIFY2(session.failureSummary().contains(streamer), qPrintable(session.failureSummary()));
        QTRY_COMPARE_WITH_TIMEOUT(tap.podtapPodCount(), 0, 10000);
    }

    // --to api when the path to the API server goes silent mid-exec (kube-sim's --stall-execs: the server answers
    // the upgrade, then nothing): each attempt ends at the stream's silence timeout, and the session fails saying
    // so, instead of waiting on a stream that looks open for ever.
    void aStreamThatGoesSilentFailsWithTheReason()
    {
        TapSim tap({QStringLiteral("--stall-execs")});
        REQUIRE_TARGET(tap);
        TapRequest request = tap.request();
        request.destination = Destination {Destination::Kind::ApiServer, {}};
        TapSessionOptions options = fastOptions();
        options.execPingIntervalMs = 200;
        options.execSilenceTimeoutMs = 1000;
        TapSession session(tap.client(), request, options);
        Heard heard(session);
        session.start();
        QVERIFY2(heard.finished.wait(30000), qPrintable(heard.transcript()));
        QCOMPARE(session.state(), TapSession::State::Failed);
        const QString summary = session.failureSummary();
        QVERIFY2(summary.contains(tap.agentPod(session, AgentRole::Streamer)), qPrintable(summary));
        QVERIFY2(summary.contains(QStringLiteral("nothing arrived from the API server for 1 s")), qPrintable(summary));
        QVERIFY2(summary.contains(QStringLiteral("network path to the API server")), qPrintable(summary));
        // The attempts before said why they were tried again.
        QVERIFY2(heard.said.join(QLatin1Char('\n')).contains(QStringLiteral("trying again")),
            qPrintable(heard.transcript()));
        QTRY_COMPARE_WITH_TIMEOUT(tap.podtapPodCount(), 0, 10000);
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
        TapSim tap({QStringLiteral("--forbid"), verb + QStringLiteral(":pods/exec:podtap")});
        REQUIRE_TARGET(tap);
        TapRequest request = tap.request();
        request.destination = Destination {Destination::Kind::ApiServer, {}};
        TapSession session(tap.client(), request, fastOptions());
        Heard heard(session);
        session.start();
        QVERIFY(heard.finished.wait(30000));
        QCOMPARE(session.state(), TapSession::State::Failed);
        const QString text = heard.firstFailure();
        QVERIFY2(text.contains(verb + QStringLiteral(" pods/exec")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("run any command")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("preflight"), Qt::CaseInsensitive) ||
                text.contains(QStringLiteral("which a tap needs")),
            qPrintable(text));
        QCOMPARE(tap.podtapPodCount(), 0);
    }

    void stopIsIdempotentAndLeavesNothing()
    {
        TapSim tap;
        REQUIRE_TARGET(tap);
        TapSession session(tap.client(), tap.request(), fastOptions());
        Heard heard(session);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), TapSession::State::WaitingForAgent, 20000);
        session.stop();
        session.stop();
        QVERIFY(heard.finished.wait(20000));
        session.stop();
        QTest::qWait(200);
        QCOMPARE(heard.finished.count(), 1);
        QCOMPARE(session.state(), TapSession::State::Stopped);
        QTRY_COMPARE_WITH_TIMEOUT(tap.podtapPodCount(), 0, 10000);
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
        TapSim tap(simFlags);
        REQUIRE_TARGET(tap);
        TapRequest request = tap.request();
        request.agentImage = image;
        TapSession session(tap.client(), request, fastOptions());
        Heard heard(session);
        session.start();
        QVERIFY(heard.finished.wait(30000));
        QCOMPARE(session.state(), TapSession::State::Failed);
        QCOMPARE(heard.failed.count(), 1);
        const QString text = heard.firstFailure();
        QVERIFY2(text.contains(expectedInFix, Qt::CaseInsensitive), qPrintable(text));
        QTRY_COMPARE_WITH_TIMEOUT(tap.podtapPodCount(), 0, 10000);
    }

    void missingPodNamesItAndTheFix()
    {
        TapSim tap({}, 1, 2, 1);
        PODTAP_REQUIRE_SIM(tap.sim());
        QVERIFY(tap.client());
        TapRequest request;
        request.targetNamespace = QStringLiteral("default");
        request.pod = QStringLiteral("no-such-pod");
        request.destination = Destination {Destination::Kind::Ip, QStringLiteral("192.0.2.50")};
        TapSession session(tap.client(), request, fastOptions());
        Heard heard(session);
        session.start();
        QVERIFY(heard.failed.wait(15000));
        QCOMPARE(heard.failed.first().at(0).toString(), QStringLiteral("Pod default/no-such-pod was not found."));
        QVERIFY(heard.failed.first().at(1).toString().contains(QStringLiteral("kubectl get pods -n default")));
    }
};

QTEST_GUILESS_MAIN(TestTapSessionSim)
#include "tst_tap_session_sim.moc"
