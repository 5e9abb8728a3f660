// SPDX-License-Identifier: Apache-2.0
// Whole WorkloadTapSessions against podtap-sim. The sim runs agent pods but no data path (that is the rig's job),
// so the tests speak for the node agents by appending their JSON lines to the pod logs through /sim/logs, create
// and delete the workload's pods themselves (the sim has no controllers), and check what the session does: one
// agent pod per node, the target list in its annotation, pods followed as they come and go, the pod limit, tagged
// counters, and nothing left after stop.
#include "kube/sim_fixture.h"

#include "receive/pcapng_stream_reader.h"
#include "tap/agent_pod_spec.h"
#include "tap/workload_session.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUdpSocket>

using namespace podtap;
using namespace podtap::test;

namespace {

const QString kNs = QStringLiteral("shop");

QStringList nodeNames(kube::KubeClient &client)
{
    QStringList names;
    kube::KubeReply *reply = waitFor(client.get(kube::KubeClient::corePath(QStringLiteral("nodes"))));
    for (const QJsonValue &node : reply->json().value(QLatin1String("items")).toArray()) {
        names << node.toObject().value(QLatin1String("metadata")).toObject().value(QLatin1String("name")).toString();
    }
    names.sort();
    return names;
}

// A pod of the workload "cart" on @p node, as a controller would create it.
bool createCartPod(kube::KubeClient &client, const QString &name, const QString &node, QString *error)
{
    const QJsonObject pod {
        {QStringLiteral("apiVersion"), QStringLiteral("v1")},
        {QStringLiteral("kind"), QStringLiteral("Pod")},
        {QStringLiteral("metadata"),
            QJsonObject {{QStringLiteral("name"), name},
                {QStringLiteral("labels"), QJsonObject {{QStringLiteral("app"), QStringLiteral("cart")}}}}},
        {QStringLiteral("spec"),
            QJsonObject {{QStringLiteral("nodeName"), node},
                {QStringLiteral("containers"),
                    QJsonArray {QJsonObject {{QStringLiteral("name"), QStringLiteral("main")},
                        {QStringLiteral("image"), QStringLiteral("cart:1")}}}}}},
    };
    kube::KubeReply *reply = waitFor(client.create(kube::KubeClient::corePath(QStringLiteral("pods"), kNs), pod));
    reply->deleteLater();
    if (!reply->ok()) {
        *error = reply->error().toString();
    }
    return reply->ok();
}

bool podRunning(kube::KubeClient &client, const QString &name)
{
    kube::KubeReply *reply = waitFor(client.get(kube::KubeClient::corePath(QStringLiteral("pods"), kNs, name)));
    reply->deleteLater();
    const QJsonObject status = reply->json().value(QLatin1String("status")).toObject();
    const QJsonArray containers = status.value(QLatin1String("containerStatuses")).toArray();
    return status.value(QLatin1String("phase")).toString() == QLatin1String("Running") && !containers.isEmpty() &&
        !containers.first().toObject().value(QLatin1String("containerID")).toString().isEmpty();
}

void deletePod(kube::KubeClient &client, const QString &name)
{
    kube::KubeReply *reply = waitFor(client.remove(kube::KubeClient::corePath(QStringLiteral("pods"), kNs, name), 0));
    reply->deleteLater();
    QVERIFY2(reply->ok(), qPrintable(reply->error().toString()));
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
    reply->deleteLater();
    QVERIFY2(reply->ok(), qPrintable(reply->error().toString()));
}

QJsonArray agentPodItems(kube::KubeClient &client)
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("labelSelector"), QStringLiteral("app.kubernetes.io/managed-by=podtap"));
    kube::KubeReply *reply =
        waitFor(client.get(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap")), query));
    reply->deleteLater();
    return reply->json().value(QLatin1String("items")).toArray();
}

/// Agent pod name → its node.
QMap<QString, QString> agentPodNodes(kube::KubeClient &client)
{
    QMap<QString, QString> pods;
    for (const QJsonValue &item : agentPodItems(client)) {
        const QJsonObject pod = item.toObject();
        pods.insert(pod.value(QLatin1String("metadata")).toObject().value(QLatin1String("name")).toString(),
            pod.value(QLatin1String("spec")).toObject().value(QLatin1String("nodeName")).toString());
    }
    return pods;
}

/// The target list lines of agent pod @p pod.
QStringList targetLines(kube::KubeClient &client, const QString &pod)
{
    kube::KubeReply *reply =
        waitFor(client.get(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap"), pod)));
    reply->deleteLater();
    const QString list = reply->json()
                             .value(QLatin1String("metadata"))
                             .toObject()
                             .value(QLatin1String("annotations"))
                             .toObject()
                             .value(QLatin1String(kAnnotationTargets))
                             .toString();
    return list.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

/// The tags (`NS/POD`) of the target list of agent pod @p pod, sorted.
QStringList targetTags(kube::KubeClient &client, const QString &pod)
{
    QStringList tags;
    for (const QString &line : targetLines(client, pod)) {
        tags << line.section(QLatin1Char(' '), 0, 0);
    }
    tags.sort();
    return tags;
}

/// The value after @p flag on the target line of @p tag in agent pod @p pod.
QString lineValue(kube::KubeClient &client, const QString &pod, const QString &tag, const QString &flag)
{
    for (const QString &line : targetLines(client, pod)) {
        const QStringList words = line.split(QLatin1Char(' '));
        if (words.value(0) == tag) {
            const qsizetype at = words.indexOf(flag);
            return at > 0 ? words.value(at + 1) : QString();
        }
    }
    return {};
}

QByteArray targetsLine(const QStringList &active)
{
    return QJsonDocument(
        QJsonObject {{QStringLiteral("event"), QStringLiteral("targets")},
            {QStringLiteral("active"), QJsonArray::fromStringList(active)}, {QStringLiteral("ended"), QJsonArray {}},
            {QStringLiteral("version"), QStringLiteral("9.8.7")}, {QStringLiteral("contract"), kAgentContract}})
        .toJson(QJsonDocument::Compact);
}

// The agent's `ready` for one target, with the VNIs of its line (as the agent reports the devices it made).
QByteArray readyLine(kube::KubeClient &client, const QString &pod, const QString &tag)
{
    return QJsonDocument(
        QJsonObject {{QStringLiteral("event"), QStringLiteral("ready")}, {QStringLiteral("target"), tag},
            {QStringLiteral("device"), QStringLiteral("ptap1")},
            {QStringLiteral("vni"), lineValue(client, pod, tag, QStringLiteral("--vni")).toInt()},
            {QStringLiteral("egress_vni"), lineValue(client, pod, tag, QStringLiteral("--egress-vni")).toInt()}})
        .toJson(QJsonDocument::Compact);
}

quint16 freeUdpPort()
{
    QUdpSocket socket;
    socket.bind(QHostAddress::LocalHost, 0);
    return socket.localPort();
}

QStringList fileInterfaces(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    receive::PcapngStreamReader reader;
    reader.append(file.readAll());
    QStringList names;
    for (const receive::PcapngInterfaceInfo &interface : reader.interfaces()) {
        names << interface.name;
    }
    names.sort();
    return names;
}

struct Fixture
{
    std::unique_ptr<SimFixture> sim;
    std::unique_ptr<kube::KubeClient> client;
    QStringList nodes;
};

WorkloadTapRequest cartRequest(int maxPods = 64)
{
    WorkloadTapRequest request;
    QString error;
    request.target = *cluster::WorkloadTarget::fromSelector(QStringLiteral("app=cart"), kNs, &error);
    request.port = freeUdpPort();
    request.maxPods = maxPods;
    return request;
}

TapSessionOptions fastOptions(const QString &file = {})
{
    TapSessionOptions options;
    options.heartbeatIntervalMs = 300;
    options.podStartTimeoutMs = 20000;
    options.agentReadyTimeoutMs = 20000;
    options.deleteGraceSeconds = 0;
    options.localIp = QStringLiteral("127.0.0.1");
    options.capture.tool = CaptureTool::None;
    options.capture.outputFile = file;
    return options;
}

} // namespace

/// @brief WorkloadTapSession taps the pods of a selector with one agent per node, follows them, and leaves nothing.
class TestWorkloadSessionSim final : public QObject
{
    Q_OBJECT

private:
    // A sim with 4 nodes and the cart pods of @p placement (pod name → node index), all Running.
    bool startCluster(Fixture &f, const QList<QPair<QString, int>> &placement)
    {
        f.sim = std::make_unique<SimFixture>(QStringList {QStringLiteral("--namespaces"), QStringLiteral("1"),
            QStringLiteral("--pods"), QStringLiteral("2"), QStringLiteral("--nodes"), QStringLiteral("4"),
            QStringLiteral("--workloads"), kNs, QStringLiteral("--start-delay"), QStringLiteral("50")});
        if (!f.sim->isReady()) {
            return false;
        }
        f.client = f.sim->client();
        f.nodes = nodeNames(*f.client);
        if (f.nodes.size() != 4) {
            return false;
        }
        for (const auto &[name, node] : placement) {
            QString error;
            if (!createCartPod(*f.client, name, f.nodes[node], &error)) {
                qWarning("%s", qPrintable(error));
                return false;
            }
        }
        for (const auto &[name, node] : placement) {
            if (!QTest::qWaitFor([&] { return podRunning(*f.client, name); }, 10000)) {
                return false;
            }
        }
        return true;
    }

private Q_SLOTS:
    void tapsPodsOverNodesWithOneAgentEachAndFollowsThem()
    {
        Fixture f;
        QVERIFY2(startCluster(f,
                     {{QStringLiteral("cart-a"), 0}, {QStringLiteral("cart-b"), 1}, {QStringLiteral("cart-c"), 2},
                         {QStringLiteral("cart-d"), 0}}),
            "the sim did not start with 4 nodes and the cart pods running");
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("cart.pcapng"));
        WorkloadTapSession session(f.client.get(), cartRequest(), fastOptions(file));
        QSignalSpy ready(&session, &WorkloadTapSession::ready);
        QSignalSpy finished(&session, &WorkloadTapSession::finished);
        QStringList events;
        connect(&session, &WorkloadTapSession::memberEvent, this, [&](const QString &text) { events << text; });
        QStringList failures;
        connect(&session, &WorkloadTapSession::failed, this,
            [&](const QString &summary, const QString &fix) { failures << summary + QLatin1Char(' ') + fix; });
        session.start();

        // One agent pod per node with pods (nodes 0, 1, 2), none on the empty node 3.
        QTRY_COMPARE_WITH_TIMEOUT(agentPodNodes(*f.client).size(), 3, 20000);
        QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
        const QString sid = session.sessionId();
        const QMap<QString, QString> agents = agentPodNodes(*f.client);
        const QString agent0 = nodeAgentPodName(f.nodes[0], sid);
        const QString agent1 = nodeAgentPodName(f.nodes[1], sid);
        const QString agent2 = nodeAgentPodName(f.nodes[2], sid);
        QCOMPARE(agents.value(agent0), f.nodes[0]);
        QCOMPARE(agents.value(agent1), f.nodes[1]);
        QCOMPARE(agents.value(agent2), f.nodes[2]);
        // Each lists exactly the matching pods on its node (the seeded shop pods do not match app=cart).
        QCOMPARE(targetTags(*f.client, agent0),
            (QStringList {QStringLiteral("shop/cart-a"), QStringLiteral("shop/cart-d")}));
        QCOMPARE(targetTags(*f.client, agent1), QStringList {QStringLiteral("shop/cart-b")});
        QCOMPARE(targetTags(*f.client, agent2), QStringList {QStringLiteral("shop/cart-c")});
        // Distinct VNIs for every pod and direction.
        QSet<QString> vnis;
        for (const QString &agent : {agent0, agent1, agent2}) {
            for (const QString &tag : targetTags(*f.client, agent)) {
                vnis << lineValue(*f.client, agent, tag, QStringLiteral("--vni"))
                     << lineValue(*f.client, agent, tag, QStringLiteral("--egress-vni"));
            }
        }
        QCOMPARE(vnis.size(), 8);
        QVERIFY(!vnis.contains(QString()));

        // The agents report their lists and each pod ready: the session runs.
        for (const QString &agent : {agent0, agent1, agent2}) {
            speakForAgent(*f.client, agent, targetsLine(targetTags(*f.client, agent)));
            for (const QString &tag : targetTags(*f.client, agent)) {
                speakForAgent(*f.client, agent, readyLine(*f.client, agent, tag));
            }
        }
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() > 0, 15000);
        QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
        QCOMPARE(session.state(), WorkloadTapSession::State::Running);
        QCOMPARE(session.members().size(), 4);
        for (const WorkloadMember &member : session.members()) {
            QCOMPARE(member.state, WorkloadMember::State::Tapped);
            QCOMPARE(member.interfaceName, member.key + QStringLiteral("/eth0"));
        }
        QVERIFY2(events.contains(QStringLiteral("+shop/cart-b tapped on %1").arg(f.nodes[1])),
            qPrintable(events.join(QLatin1Char('\n'))));
        QCOMPARE(session.agentPods().size(), 3);

        // Tagged stats reach their members, and only theirs.
        speakForAgent(*f.client, agent0,
            "{\"event\":\"stats\",\"target\":\"shop/cart-d\",\"ingress\":{\"packets\":7,\"bytes\":700},"
            "\"egress\":{\"packets\":3,\"bytes\":300}}");
        speakForAgent(*f.client, agent1,
            "{\"event\":\"stats\",\"target\":\"shop/cart-b\",\"ingress\":{\"packets\":1,\"bytes\":60}}");
        const auto member = [&](const QString &key) {
            for (const WorkloadMember &m : session.members()) {
                if (m.key == key) {
                    return m;
                }
            }
            return WorkloadMember {};
        };
        QTRY_COMPARE_WITH_TIMEOUT(member(QStringLiteral("shop/cart-d")).mirroredPackets, 10, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(member(QStringLiteral("shop/cart-b")).mirroredBytes, 60, 10000);
        QCOMPARE(member(QStringLiteral("shop/cart-d")).mirroredBytes, 1000);
        QCOMPARE(member(QStringLiteral("shop/cart-a")).mirroredPackets, 0);
        QCOMPARE(session.stats().packets, 11);
        // A reinstalled line (a new container) counts from zero in the agent; the pod's row keeps adding.
        speakForAgent(*f.client, agent0,
            "{\"event\":\"stopped\",\"target\":\"shop/cart-d\",\"reason\":\"changed\",\"ingress\":{\"packets\":12,"
            "\"bytes\":1200}}");
        speakForAgent(*f.client, agent0, readyLine(*f.client, agent0, QStringLiteral("shop/cart-d")));
        speakForAgent(*f.client, agent0,
            "{\"event\":\"stats\",\"target\":\"shop/cart-d\",\"ingress\":{\"packets\":2,\"bytes\":200}}");
        QTRY_COMPARE_WITH_TIMEOUT(member(QStringLiteral("shop/cart-d")).mirroredPackets, 14, 10000);
        QCOMPARE(member(QStringLiteral("shop/cart-d")).mirroredBytes, 1400);
        QCOMPARE(member(QStringLiteral("shop/cart-d")).state, WorkloadMember::State::Tapped);

        // A pod created later is added to its node's list; one on the node without an agent gets an agent there.
        QString error;
        QVERIFY2(createCartPod(*f.client, QStringLiteral("cart-e"), f.nodes[1], &error), qPrintable(error));
        QVERIFY2(createCartPod(*f.client, QStringLiteral("cart-f"), f.nodes[3], &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(targetTags(*f.client, agent1),
            (QStringList {QStringLiteral("shop/cart-b"), QStringLiteral("shop/cart-e")}), 15000);
        const QString agent3 = nodeAgentPodName(f.nodes[3], sid);
        QTRY_COMPARE_WITH_TIMEOUT(agentPodNodes(*f.client).value(agent3), f.nodes[3], 15000);
        QCOMPARE(targetTags(*f.client, agent3), QStringList {QStringLiteral("shop/cart-f")});
        QCOMPARE(member(QStringLiteral("shop/cart-e")).state, WorkloadMember::State::Starting);
        speakForAgent(*f.client, agent1, readyLine(*f.client, agent1, QStringLiteral("shop/cart-e")));
        QTRY_COMPARE_WITH_TIMEOUT(member(QStringLiteral("shop/cart-e")).state, WorkloadMember::State::Tapped, 10000);
        QVERIFY2(events.contains(QStringLiteral("+shop/cart-e tapped on %1").arg(f.nodes[1])),
            qPrintable(events.join(QLatin1Char('\n'))));

        // A deleted pod leaves its node's list, and the session says so.
        deletePod(*f.client, QStringLiteral("cart-b"));
        QTRY_COMPARE_WITH_TIMEOUT(targetTags(*f.client, agent1), QStringList {QStringLiteral("shop/cart-e")}, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(member(QStringLiteral("shop/cart-b")).state, WorkloadMember::State::Gone, 10000);
        QVERIFY2(
            events.contains(QStringLiteral("-shop/cart-b gone (deleted)")), qPrintable(events.join(QLatin1Char('\n'))));
        // Its counters stay with its row.
        QCOMPARE(member(QStringLiteral("shop/cart-b")).mirroredBytes, 60);

        // The heartbeat reaches every agent pod, the one created later included (seconds resolution).
        const auto heartbeat = [&](const QString &pod) {
            kube::KubeReply *reply = waitFor(
                f.client->get(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap"), pod)));
            reply->deleteLater();
            return reply->json()
                .value(QLatin1String("metadata"))
                .toObject()
                .value(QLatin1String("annotations"))
                .toObject()
                .value(QLatin1String(kAnnotationHeartbeat))
                .toString();
        };
        const QString firstBeat = heartbeat(agent3);
        QVERIFY(!firstBeat.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(heartbeat(agent3) > firstBeat, 8000);

        session.stop();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 30000);
        QCOMPARE(session.state(), WorkloadTapSession::State::Stopped);
        QTRY_COMPARE_WITH_TIMEOUT(agentPodItems(*f.client).size(), 0, 10000);
        QVERIFY(session.agentPods().isEmpty());
        // One capture file, an interface per pod: those the tap started with and those that came later.
        const QStringList interfaces = fileInterfaces(file);
        QCOMPARE(interfaces.size(), 6);
        for (const QString &pod : {QStringLiteral("cart-a"), QStringLiteral("cart-b"), QStringLiteral("cart-c"),
                 QStringLiteral("cart-d"), QStringLiteral("cart-e"), QStringLiteral("cart-f")}) {
            QVERIFY2(interfaces.contains(QStringLiteral("shop/%1/eth0").arg(pod)), qPrintable(interfaces.join(' ')));
        }
        session.stop(); // idempotent
        QCOMPARE(finished.count(), 1);
    }

    void refusesMorePodsThanTheLimitAtTheStart()
    {
        Fixture f;
        QVERIFY2(startCluster(f,
                     {{QStringLiteral("cart-a"), 0}, {QStringLiteral("cart-b"), 1}, {QStringLiteral("cart-c"), 2},
                         {QStringLiteral("cart-d"), 0}}),
            "the sim did not start with 4 nodes and the cart pods running");
        WorkloadTapSession session(f.client.get(), cartRequest(3), fastOptions());
        QSignalSpy failed(&session, &WorkloadTapSession::failed);
        QSignalSpy finished(&session, &WorkloadTapSession::finished);
        session.start();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 20000);
        QCOMPARE(session.state(), WorkloadTapSession::State::Failed);
        QCOMPARE(failed.count(), 1);
        const QString text = session.failureSummary() + QLatin1Char(' ') + session.failureFix();
        // The count, the limit and the fix.
        QVERIFY2(text.contains(QStringLiteral("4 running pods")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("limit of 3")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("--max-pods 4")), qPrintable(text));
        QCOMPARE(agentPodItems(*f.client).size(), 0);
    }

    void skipsPodsThatComeAboveTheLimit()
    {
        Fixture f;
        QVERIFY2(startCluster(f, {{QStringLiteral("cart-a"), 0}, {QStringLiteral("cart-b"), 1}}),
            "the sim did not start with 4 nodes and the cart pods running");
        WorkloadTapSession session(f.client.get(), cartRequest(2), fastOptions());
        QSignalSpy ready(&session, &WorkloadTapSession::ready);
        QSignalSpy finished(&session, &WorkloadTapSession::finished);
        QStringList warnings;
        connect(&session, &WorkloadTapSession::warningRaised, this, [&](const QString &text) { warnings << text; });
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(agentPodNodes(*f.client).size(), 2, 20000);
        const QString agent0 = nodeAgentPodName(f.nodes[0], session.sessionId());
        const QString agent1 = nodeAgentPodName(f.nodes[1], session.sessionId());
        speakForAgent(*f.client, agent0, targetsLine({QStringLiteral("shop/cart-a")}));
        speakForAgent(*f.client, agent0, readyLine(*f.client, agent0, QStringLiteral("shop/cart-a")));
        speakForAgent(*f.client, agent1, targetsLine({QStringLiteral("shop/cart-b")}));
        speakForAgent(*f.client, agent1, readyLine(*f.client, agent1, QStringLiteral("shop/cart-b")));
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() > 0, 15000);

        QString error;
        QVERIFY2(createCartPod(*f.client, QStringLiteral("cart-c"), f.nodes[0], &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!session.members().isEmpty() &&
                session.members().last().key == QStringLiteral("shop/cart-c") &&
                session.members().last().state == WorkloadMember::State::Skipped,
            15000);
        QVERIFY2(!warnings.isEmpty() && warnings.last().contains(QStringLiteral("shop/cart-c")) &&
                warnings.last().contains(QStringLiteral("--max-pods")),
            qPrintable(warnings.join(QLatin1Char('\n'))));
        QCOMPARE(targetTags(*f.client, agent0), QStringList {QStringLiteral("shop/cart-a")});

        // A slot frees up (cart-a deleted): the skipped pod is tapped.
        deletePod(*f.client, QStringLiteral("cart-a"));
        QTRY_COMPARE_WITH_TIMEOUT(targetTags(*f.client, agent0), QStringList {QStringLiteral("shop/cart-c")}, 15000);

        session.stop();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(agentPodItems(*f.client).size(), 0, 10000);
    }

    void triesAgainWhenTheAgentDidNotFindANewContainerYet()
    {
        // A pod reported Running may not have its process in its cgroup yet when the agent looks: the agent
        // reports the target not found, and the session takes the line out and puts it back once the agent
        // dropped it, so the agent tries again (it leaves an unchanged line that ended alone).
        Fixture f;
        QVERIFY2(startCluster(f, {{QStringLiteral("cart-a"), 0}}), "the sim did not start with the cart pod running");
        WorkloadTapSession session(f.client.get(), cartRequest(), fastOptions());
        QSignalSpy ready(&session, &WorkloadTapSession::ready);
        QSignalSpy finished(&session, &WorkloadTapSession::finished);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(agentPodNodes(*f.client).size(), 1, 20000);
        const QString agent = nodeAgentPodName(f.nodes[0], session.sessionId());
        speakForAgent(*f.client, agent, targetsLine({QStringLiteral("shop/cart-a")}));
        speakForAgent(*f.client, agent, readyLine(*f.client, agent, QStringLiteral("shop/cart-a")));
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() > 0, 15000);

        QString error;
        QVERIFY2(createCartPod(*f.client, QStringLiteral("cart-b"), f.nodes[0], &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(targetTags(*f.client, agent),
            (QStringList {QStringLiteral("shop/cart-a"), QStringLiteral("shop/cart-b")}), 15000);
        const QStringList lines = targetLines(*f.client, agent);
        speakForAgent(*f.client, agent,
            "{\"event\":\"error\",\"target\":\"shop/cart-b\",\"code\":\"target-not-found\",\"message\":\"container "
            "x not found\",\"exit_code\":3}");
        speakForAgent(*f.client, agent, "{\"event\":\"stopped\",\"target\":\"shop/cart-b\",\"reason\":\"failed\"}");
        // The agent keeps the failed target as ended while its line is listed.
        speakForAgent(*f.client, agent,
            "{\"event\":\"targets\",\"active\":[\"shop/cart-a\"],\"ended\":[\"shop/cart-b\"],\"version\":\"9.8.7\","
            "\"contract\":2}");
        // Out of the list, then back with the same line.
        QTRY_COMPARE_WITH_TIMEOUT(targetTags(*f.client, agent), QStringList {QStringLiteral("shop/cart-a")}, 15000);
        const auto stateOf = [&](const QString &key) {
            for (const WorkloadMember &m : session.members()) {
                if (m.key == key) {
                    return m.state;
                }
            }
            return WorkloadMember::State::Waiting;
        };
        QCOMPARE(stateOf(QStringLiteral("shop/cart-b")), WorkloadMember::State::Starting);
        speakForAgent(*f.client, agent,
            "{\"event\":\"targets\",\"active\":[\"shop/cart-a\"],\"ended\":[],\"version\":\"9.8.7\",\"contract\":2}");
        QTRY_COMPARE_WITH_TIMEOUT(targetLines(*f.client, agent), lines, 15000);
        speakForAgent(*f.client, agent, readyLine(*f.client, agent, QStringLiteral("shop/cart-b")));
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("shop/cart-b")), WorkloadMember::State::Tapped, 10000);

        // A VNI another tap took on the node meanwhile: the pod gets a new pair, and so a changed line.
        const QString vni = lineValue(*f.client, agent, QStringLiteral("shop/cart-a"), QStringLiteral("--vni"));
        speakForAgent(*f.client, agent,
            QByteArrayLiteral("{\"event\":\"error\",\"target\":\"shop/cart-a\",\"code\":\"kernel-refused\","
                              "\"message\":\"create vxlan ptap") +
                vni.toUtf8() + ": File exists (another VXLAN device in the node netns already uses VNI " +
                vni.toUtf8() + " on port 4789; choose another --name/--vni)\",\"exit_code\":4}");
        QTRY_VERIFY_WITH_TIMEOUT(
            lineValue(*f.client, agent, QStringLiteral("shop/cart-a"), QStringLiteral("--vni")) != vni, 15000);
        QCOMPARE(stateOf(QStringLiteral("shop/cart-a")), WorkloadMember::State::Starting);
        speakForAgent(*f.client, agent, readyLine(*f.client, agent, QStringLiteral("shop/cart-a")));
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("shop/cart-a")), WorkloadMember::State::Tapped, 10000);

        session.stop();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(agentPodItems(*f.client).size(), 0, 10000);
    }

    void warnsWithTheExpectedBandwidthOnceTheAgentsCountersGiveRates()
    {
        Fixture f;
        QVERIFY2(startCluster(f, {{QStringLiteral("cart-a"), 0}, {QStringLiteral("cart-b"), 1}}),
            "the sim did not start with the cart pods running");
        WorkloadTapRequest request = cartRequest();
        request.bandwidthWarningBitsPerSecond = 50'000'000;
        WorkloadTapSession session(f.client.get(), request, fastOptions());
        QSignalSpy ready(&session, &WorkloadTapSession::ready);
        QSignalSpy finished(&session, &WorkloadTapSession::finished);
        QStringList warnings;
        connect(&session, &WorkloadTapSession::warningRaised, this, [&](const QString &text) { warnings << text; });
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(agentPodNodes(*f.client).size(), 2, 20000);
        const QString agent0 = nodeAgentPodName(f.nodes[0], session.sessionId());
        const QString agent1 = nodeAgentPodName(f.nodes[1], session.sessionId());
        speakForAgent(*f.client, agent0, targetsLine({QStringLiteral("shop/cart-a")}));
        speakForAgent(*f.client, agent0, readyLine(*f.client, agent0, QStringLiteral("shop/cart-a")));
        speakForAgent(*f.client, agent1, targetsLine({QStringLiteral("shop/cart-b")}));
        speakForAgent(*f.client, agent1, readyLine(*f.client, agent1, QStringLiteral("shop/cart-b")));
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() > 0, 15000);
        const auto stats = [&](const QString &agent, const char *tag, qint64 bytes) {
            speakForAgent(*f.client, agent,
                QByteArrayLiteral("{\"event\":\"stats\",\"target\":\"") + tag +
                    "\",\"ingress\":{\"packets\":1,\"bytes\":" + QByteArray::number(bytes) + "}}");
        };
        // A first count gives no rate; one pod alone below the threshold is no warning.
        stats(agent0, "shop/cart-a", 0);
        stats(agent1, "shop/cart-b", 0);
        QTest::qWait(1100);
        stats(agent0, "shop/cart-a", 1000);
        QTest::qWait(300);
        QVERIFY2(warnings.filter(QStringLiteral("Mbit/s")).isEmpty(), qPrintable(warnings.join('\n')));
        // Then both mirror a lot: together well above 50 Mbit/s.
        QTest::qWait(1000);
        stats(agent0, "shop/cart-a", 100'000'000);
        stats(agent1, "shop/cart-b", 100'000'000);
        QTRY_VERIFY_WITH_TIMEOUT(!warnings.filter(QStringLiteral("Mbit/s")).isEmpty(), 10000);
        const QString warning = warnings.filter(QStringLiteral("Mbit/s")).first();
        QVERIFY2(warning.contains(QStringLiteral("The 2 tapped pods mirror about")), qPrintable(warning));
        QVERIFY2(warning.contains(QStringLiteral("above 50 Mbit/s")), qPrintable(warning));
        QVERIFY2(warning.contains(QStringLiteral("--filter")), qPrintable(warning));
        // Once.
        stats(agent0, "shop/cart-a", 300'000'000);
        QTest::qWait(500);
        QCOMPARE(warnings.filter(QStringLiteral("Mbit/s")).size(), 1);

        session.stop();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 30000);
    }

    void tapsNamedPodsAndTapsAReCreatedOneAgain()
    {
        Fixture f;
        QVERIFY2(startCluster(
                     f, {{QStringLiteral("cart-a"), 0}, {QStringLiteral("cart-b"), 0}, {QStringLiteral("cart-c"), 1}}),
            "the sim did not start with the cart pods running");
        // A name that does not exist: refused, naming it, before anything is created.
        WorkloadTapRequest missing;
        missing.pods = QStringList {QStringLiteral("shop/cart-a"), QStringLiteral("shop/nope")};
        missing.port = freeUdpPort();
        WorkloadTapSession refused(f.client.get(), missing, fastOptions());
        QSignalSpy refusedDone(&refused, &WorkloadTapSession::finished);
        refused.start();
        QTRY_VERIFY_WITH_TIMEOUT(refusedDone.count() > 0, 15000);
        QCOMPARE(refused.state(), WorkloadTapSession::State::Failed);
        QVERIFY2(refused.failureSummary().contains(QStringLiteral("shop/nope was not found")),
            qPrintable(refused.failureSummary()));
        QCOMPARE(agentPodItems(*f.client).size(), 0);

        WorkloadTapRequest request;
        request.pods = QStringList {QStringLiteral("shop/cart-a"), QStringLiteral("shop/cart-c")};
        request.port = freeUdpPort();
        WorkloadTapSession session(f.client.get(), request, fastOptions());
        QSignalSpy ready(&session, &WorkloadTapSession::ready);
        QSignalSpy finished(&session, &WorkloadTapSession::finished);
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(agentPodNodes(*f.client).size(), 2, 20000);
        const QString agent0 = nodeAgentPodName(f.nodes[0], session.sessionId());
        const QString agent1 = nodeAgentPodName(f.nodes[1], session.sessionId());
        // cart-b runs on node 0 too, but was not picked.
        QCOMPARE(targetTags(*f.client, agent0), QStringList {QStringLiteral("shop/cart-a")});
        QCOMPARE(targetTags(*f.client, agent1), QStringList {QStringLiteral("shop/cart-c")});
        speakForAgent(*f.client, agent0, targetsLine({QStringLiteral("shop/cart-a")}));
        speakForAgent(*f.client, agent0, readyLine(*f.client, agent0, QStringLiteral("shop/cart-a")));
        speakForAgent(*f.client, agent1, targetsLine({QStringLiteral("shop/cart-c")}));
        speakForAgent(*f.client, agent1, readyLine(*f.client, agent1, QStringLiteral("shop/cart-c")));
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() > 0, 15000);
        QCOMPARE(session.members().size(), 2);

        // Deleted: its line goes. Re-created under the same name (elsewhere): tapped again, on its new node.
        deletePod(*f.client, QStringLiteral("cart-c"));
        QTRY_VERIFY_WITH_TIMEOUT(targetTags(*f.client, agent1).isEmpty(), 15000);
        const auto cartCGone = [&] {
            kube::KubeReply *reply = waitFor(
                f.client->get(kube::KubeClient::corePath(QStringLiteral("pods"), kNs, QStringLiteral("cart-c"))));
            reply->deleteLater();
            return reply->error().isNotFound();
        };
        QTRY_VERIFY_WITH_TIMEOUT(cartCGone(), 10000);
        QString error;
        QVERIFY2(createCartPod(*f.client, QStringLiteral("cart-c"), f.nodes[0], &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(targetTags(*f.client, agent0),
            (QStringList {QStringLiteral("shop/cart-a"), QStringLiteral("shop/cart-c")}), 15000);
        // A pod that was not picked and comes later stays out.
        QVERIFY2(createCartPod(*f.client, QStringLiteral("cart-z"), f.nodes[0], &error), qPrintable(error));
        QTest::qWait(1500);
        QCOMPARE(targetTags(*f.client, agent0),
            (QStringList {QStringLiteral("shop/cart-a"), QStringLiteral("shop/cart-c")}));
        QCOMPARE(session.members().size(), 2);

        session.stop();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(agentPodItems(*f.client).size(), 0, 10000);
    }

    void refusesOtherDestinationsWithTheReasonAndTheFix()
    {
        WorkloadTapRequest request = cartRequest();
        QVERIFY2(request.validate().isEmpty(), qPrintable(request.validate().value(0).toString()));
        request.destination = Destination {Destination::Kind::Node, QStringLiteral("worker-1")};
        const ValidationProblems problems = request.validate();
        QCOMPARE(problems.size(), 1);
        QVERIFY2(problems.first().toString().contains(QStringLiteral("--to local")),
            qPrintable(problems.first().toString()));
        request.destination = Destination {Destination::Kind::ApiServer, {}};
        QCOMPARE(request.validate().size(), 1);
        request.destination = {};
        request.maxPods = 0;
        QVERIFY(request.validate().first().toString().contains(QStringLiteral("maximum pods")));
    }
};

QTEST_GUILESS_MAIN(TestWorkloadSessionSim)
#include "tst_workload_session_sim.moc"
