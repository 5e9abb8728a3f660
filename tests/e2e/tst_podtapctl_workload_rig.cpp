// SPDX-License-Identifier: Apache-2.0
// A tap of many pods on kube-sim's rig, as an operator runs it: `podtapctl tap -n shop -l SELECTOR --to local
// --write f.pcapng --duration 20s` in the workstation namespace, real node agents (one per node, many targets),
// the userspace receiver, and a pod deleted and another created while it runs.
#include "rig_fixture.h"
#include "support/privileged.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap::test;

namespace {

const QString kNs = QStringLiteral("shop");
// The StatefulSet db (3 pods) and the DaemonSet node-agent (one pod per node) of --workloads.
const QString kSelector = QStringLiteral("app in (db,node-agent)");

bool waitUntil(const std::function<bool()> &condition, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (condition()) {
            return true;
        }
        QTest::qWait(200);
    }
    return condition();
}

/// What is wrong with @p file as a capture of @p pod's marker flow (UDP port 9999) on the pod's own interface
/// `ns/pod/eth0` of a capture with many interfaces, or empty: at least two marker packets there, in both directions
/// (epb_flags), and the pod's name in the file's name records.
QString markerFlowProblemOnItsInterface(const QString &file, const RigFixture::Pod &pod)
{
    const QList<QStringList> packets = RigFixture::packetFields(file,
        {QStringLiteral("ip.src"), QStringLiteral("ip.dst"), QStringLiteral("udp.srcport"),
            QStringLiteral("udp.dstport"), QStringLiteral("frame.packet_flags_direction"),
            QStringLiteral("frame.interface_name")});
    const QString interface = pod.ref() + QStringLiteral("/eth0");
    QSet<QString> directions;
    int marker = 0;
    int onInterface = 0;
    for (const QStringList &packet : packets) {
        if (packet.size() != 6 || packet[5] != interface) {
            continue;
        }
        ++onInterface;
        if ((packet[0] == pod.ip || packet[1] == pod.ip) &&
            (packet[2] == QLatin1String("9999") || packet[3] == QLatin1String("9999"))) {
            ++marker;
            directions.insert(QString::number(packet[4].toUInt(nullptr, 16)));
        }
    }
    if (marker < 2) {
        return QStringLiteral("%1 marker packets of %2 (%3 on its interface %4, %5 in the file)")
            .arg(marker)
            .arg(pod.ref())
            .arg(onInterface)
            .arg(interface)
            .arg(packets.size());
    }
    if (!directions.contains(QStringLiteral("1")) || !directions.contains(QStringLiteral("2"))) {
        return QStringLiteral("%1: marker directions %2, not both 1 and 2")
            .arg(pod.ref(), QStringList(directions.values()).join(QLatin1Char(' ')));
    }
    const ProcessResult named = run({QStringLiteral("tshark"), QStringLiteral("-r"), file, QStringLiteral("-N"),
        QStringLiteral("n"), QStringLiteral("-T"), QStringLiteral("fields"), QStringLiteral("-e"),
        QStringLiteral("ip.src_host"), QStringLiteral("-e"), QStringLiteral("ip.dst_host")});
    if (!named.out.contains(pod.ref().toUtf8())) {
        return QStringLiteral("no name record for %1").arg(pod.ref());
    }
    return {};
}

} // namespace

/// @brief podtapctl taps the pods of a selector over several nodes into one pcapng, follows a pod deleted and one
/// created, uses one agent pod per node, and leaves nothing behind.
class TestPodtapctlWorkloadRig final : public QObject
{
    Q_OBJECT

private:
    RigFixture m_rig;
    QTemporaryDir m_scratch;

    RigFixture::Pod described(const QString &name) const
    {
        for (const RigFixture::Pod &pod : m_rig.pods()) {
            if (pod.ns == kNs && pod.name == name) {
                return pod;
            }
        }
        return {};
    }

    /// The running pods the selector picks now, as the API server reports them.
    QList<RigFixture::Pod> matchingPods() const
    {
        QList<RigFixture::Pod> pods;
        const QJsonObject list =
            m_rig.getJson({QStringLiteral("pods"), QStringLiteral("-n"), kNs, QStringLiteral("-l"), kSelector});
        for (const QJsonValue &item : list[QStringLiteral("items")].toArray()) {
            if (item[QStringLiteral("status")][QStringLiteral("phase")].toString() != QLatin1String("Running")) {
                continue;
            }
            RigFixture::Pod pod;
            pod.ns = kNs;
            pod.name = item[QStringLiteral("metadata")][QStringLiteral("name")].toString();
            pod.node = item[QStringLiteral("spec")][QStringLiteral("nodeName")].toString();
            pod.ip = item[QStringLiteral("status")][QStringLiteral("podIP")].toString();
            pod.netns = described(pod.name).netns;
            pods << pod;
        }
        return pods;
    }

    /// Agent pod name → node, for the agent pods in the cluster now.
    QMap<QString, QString> agentPodNodes() const
    {
        QMap<QString, QString> agents;
        const QJsonObject list =
            m_rig.getJson({QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("podtap")});
        for (const QJsonValue &item : list[QStringLiteral("items")].toArray()) {
            agents.insert(item[QStringLiteral("metadata")][QStringLiteral("name")].toString(),
                item[QStringLiteral("spec")][QStringLiteral("nodeName")].toString());
        }
        return agents;
    }

    QString targetsOf(const QString &agentPod) const
    {
        const QJsonObject pod =
            m_rig.getJson({QStringLiteral("pod"), QStringLiteral("-n"), QStringLiteral("podtap"), agentPod});
        return pod[QStringLiteral("metadata")][QStringLiteral("annotations")][QStringLiteral("podtap.io/targets")]
            .toString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QString error;
        QVERIFY2(m_rig.start({QStringLiteral("--nodes"), QStringLiteral("3"), QStringLiteral("--namespaces"),
                                 QStringLiteral("1"), QStringLiteral("--pods"), QStringLiteral("3"),
                                 QStringLiteral("--workloads"), kNs, QStringLiteral("--traffic-interval"),
                                 QStringLiteral("100")},
                     &error),
            qPrintable(error));
    }

    void cleanupTestCase()
    {
        const QStringList left = m_rig.stop();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral("; "))));
    }

    void tapsTheSelectorsPodsIntoOneFileWhilePodsComeAndGo()
    {
        const QList<RigFixture::Pod> before = matchingPods();
        QSet<QString> nodesBefore;
        for (const RigFixture::Pod &pod : before) {
            QVERIFY2(!pod.netns.isEmpty(), qPrintable(pod.ref() + QStringLiteral(" is not a running rig pod")));
            nodesBefore.insert(pod.node);
        }
        QCOMPARE(before.size(), 6);
        QCOMPARE(nodesBefore.size(), 3);

        const QString file = m_scratch.filePath(QStringLiteral("workload.pcapng"));
        std::unique_ptr<QProcess> tap = m_rig.startPodtapctl({QStringLiteral("tap"), QStringLiteral("-n"), kNs,
            QStringLiteral("-l"), kSelector, QStringLiteral("--to"), QStringLiteral("local"), QStringLiteral("--write"),
            file, QStringLiteral("--duration"), QStringLiteral("20s")});
        QByteArray err;
        // podtapctl's whole account of the session, when something failed: its progress, member events, warnings.
        const auto printOnFailure = qScopeGuard([&] {
            if (QTest::currentTestFailed() || qEnvironmentVariableIsSet("PODTAP_TEST_VERBOSE")) {
                qWarning("podtapctl's stderr:\n%s", (err + tap->readAllStandardError()).constData());
            }
        });
        connect(tap.get(), &QProcess::readyReadStandardError, this, [&] { err += tap->readAllStandardError(); });
        QVERIFY2(
            waitUntil([&] { return err.contains("capturing 6 pods") || tap->state() == QProcess::NotRunning; }, 90000),
            err.constData());
        QVERIFY2(err.contains("capturing 6 pods"), "see podtapctl's stderr below");

        // One agent pod per node with matching pods, each listing exactly its node's pods.
        const QMap<QString, QString> agents = agentPodNodes();
        QCOMPARE(agents.size(), 3);
        const QStringList agentNodes = agents.values();
        QCOMPARE(QSet<QString>(agentNodes.begin(), agentNodes.end()), nodesBefore);
        for (auto it = agents.begin(); it != agents.end(); ++it) {
            QStringList expected;
            for (const RigFixture::Pod &pod : before) {
                if (pod.node == it.value()) {
                    expected << pod.ref();
                }
            }
            QStringList listed;
            for (const QString &line : targetsOf(it.key()).split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
                listed << line.section(QLatin1Char(' '), 0, 0);
            }
            expected.sort();
            listed.sort();
            QCOMPARE(listed, expected);
        }

        // Let every pod's marker flow reach the capture, then a pod goes and another comes.
        QTest::qWait(3000);
        const RigFixture::Pod deleted = described(QStringLiteral("db-1"));
        QVERIFY(!deleted.name.isEmpty());
        const ProcessResult removed =
            m_rig.kubectl({QStringLiteral("delete"), QStringLiteral("pod"), QStringLiteral("-n"), kNs, deleted.name,
                QStringLiteral("--grace-period=1"), QStringLiteral("--wait=false")});
        QVERIFY2(removed.ok(), qPrintable(removed.describe({QStringLiteral("kubectl delete pod")})));
        const QByteArray newPod = QJsonDocument(
            QJsonObject {
                {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                {QStringLiteral("kind"), QStringLiteral("Pod")},
                {QStringLiteral("metadata"),
                    QJsonObject {{QStringLiteral("name"), QStringLiteral("db-9")}, {QStringLiteral("namespace"), kNs},
                        {QStringLiteral("labels"), QJsonObject {{QStringLiteral("app"), QStringLiteral("db")}}}}},
                {QStringLiteral("spec"),
                    QJsonObject {{QStringLiteral("containers"),
                        QJsonArray {QJsonObject {{QStringLiteral("name"), QStringLiteral("db")},
                            {QStringLiteral("image"), QStringLiteral("registry.example/db:1")}}}}}},
            })
                                      .toJson(QJsonDocument::Compact);
        const ProcessResult created =
            m_rig.kubectl({QStringLiteral("create"), QStringLiteral("-f"), QStringLiteral("-")}, 30000, newPod);
        QVERIFY2(created.ok(), qPrintable(created.describe({QStringLiteral("kubectl create -f -")})));
        QVERIFY2(
            waitUntil([&] { return err.contains("+shop/db-9 tapped on"); }, 30000), "see podtapctl's stderr below");
        QVERIFY2(waitUntil([&] { return err.contains("-shop/db-1 gone"); }, 30000), "see podtapctl's stderr below");
        RigFixture::Pod added;
        for (const RigFixture::Pod &pod : matchingPods()) {
            if (pod.name == QLatin1String("db-9")) {
                added = pod;
            }
        }
        QVERIFY2(!added.ip.isEmpty(), "db-9 is not running");
        // Still one agent per node: the new pod went to its node's agent (or a new one, had its node none).
        QVERIFY2(agentPodNodes().size() == 3, qPrintable(QStringList(agentPodNodes().keys()).join(' ')));
        QVERIFY2(targetsOf(nodeAgentPodOf(agentPodNodes(), added.node)).contains(QStringLiteral("shop/db-9 ")),
            qPrintable(targetsOf(nodeAgentPodOf(agentPodNodes(), added.node))));

        // A restarted container (a new container ID) is tapped again: its processes are killed, the kubelet
        // starts new ones after its back-off, the session changes the pod's line and the agent taps it anew.
        const RigFixture::Pod restarted = described(QStringLiteral("db-0"));
        QVERIFY(!restarted.netns.isEmpty());
        const ProcessResult pids =
            run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("pids"), restarted.netns});
        QVERIFY2(!pids.out.trimmed().isEmpty(), "db-0 runs no process");
        for (const QByteArray &pid : pids.out.trimmed().split('\n')) {
            run({QStringLiteral("kill"), QStringLiteral("-KILL"), QString::fromUtf8(pid.trimmed())});
        }
        QVERIFY2(waitUntil([&] { return err.contains("~shop/db-0 "); }, 15000), "see podtapctl's stderr below");
        QVERIFY2(
            waitUntil([&] { return err.count("+shop/db-0 tapped on") == 2; }, 15000), "see podtapctl's stderr below");

        QVERIFY2(tap->waitForFinished(90000), "see podtapctl's stderr below");
        err += tap->readAllStandardError();
        QVERIFY2(tap->exitStatus() == QProcess::NormalExit && tap->exitCode() == 0, "see podtapctl's stderr below");
        QVERIFY2(err.contains("stopped (--duration 20s reached)"), "see podtapctl's stderr below");

        // The file: an interface per pod, the new one included, and every pod's marker flow on its own interface.
        QSet<QString> interfaces;
        for (const QStringList &fields : RigFixture::packetFields(file, {QStringLiteral("frame.interface_name")})) {
            interfaces.insert(fields.value(0));
        }
        QList<RigFixture::Pod> all = before;
        all << added;
        for (const RigFixture::Pod &pod : all) {
            QVERIFY2(interfaces.contains(pod.ref() + QStringLiteral("/eth0")),
                qPrintable(QStringList(interfaces.values()).join(' ')));
            const QString problem = markerFlowProblemOnItsInterface(file, pod);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
        QCOMPARE(interfaces.size(), 7);

        // Nothing is left: no agent pod, and no filter or device in any tapped pod that still runs.
        QTRY_VERIFY2_WITH_TIMEOUT(
            m_rig.agentPods().isEmpty(), qPrintable(m_rig.agentPods().join(QLatin1Char(' '))), 20000);
        for (const RigFixture::Pod &pod : before) {
            if (pod.name == deleted.name) {
                continue;
            }
            QTRY_VERIFY2_WITH_TIMEOUT(m_rig.podtapObjectsIn(pod).isEmpty(),
                qPrintable(m_rig.podtapObjectsIn(pod).join(QStringLiteral("; "))), 10000);
        }
    }

private:
    static QString nodeAgentPodOf(const QMap<QString, QString> &agents, const QString &node)
    {
        for (auto it = agents.begin(); it != agents.end(); ++it) {
            if (it.value() == node) {
                return it.key();
            }
        }
        return {};
    }
};

QTEST_GUILESS_MAIN(TestPodtapctlWorkloadRig)
#include "tst_podtapctl_workload_rig.moc"
