// SPDX-License-Identifier: Apache-2.0
#include "rig_fixture.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <functional>

#include <sys/types.h>

using namespace podtap::test;

/// @brief Taps through the API server on kube-sim's rig: `podtapctl tap --to api`, and `--to local` falling back to
/// the stream when the workstation cannot receive the tunnel (nftables drops its port there). The agent runs
/// `stream` in its pod through pods/exec; the capture must carry the pod's marker flow with pod names, and nothing
/// may be left after stop, also when the console is killed.
class TestPodtapctlStreamRig final : public QObject
{
    Q_OBJECT

private:
    RigFixture m_rig;
    QTemporaryDir m_scratch;
    QString m_nodeA;
    QString m_nodeB;

    static bool waitUntil(const std::function<bool()> &condition, int timeoutMs)
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

    // Processes of this machine whose command line holds every one of @p parts (NUL-separated arguments).
    static QStringList processesWith(const QStringList &parts)
    {
        QStringList found;
        const QStringList pids = QDir(QStringLiteral("/proc")).entryList({QStringLiteral("[0-9]*")}, QDir::Dirs);
        for (const QString &pid : pids) {
            QFile file(QStringLiteral("/proc/%1/cmdline").arg(pid));
            if (!file.open(QIODevice::ReadOnly)) {
                continue;
            }
            const QByteArray cmdline = file.readAll();
            bool all = !cmdline.isEmpty();
            for (const QString &part : parts) {
                all = all && cmdline.contains(part.toUtf8());
            }
            if (all) {
                found << pid + QLatin1Char(' ') +
                        QString::fromUtf8(cmdline).replace(QLatin1Char('\0'), QLatin1Char(' '));
            }
        }
        return found;
    }

    QString containerIdOf(const RigFixture::Pod &pod) const
    {
        const QJsonObject json = m_rig.getJson({QStringLiteral("pod"), QStringLiteral("-n"), pod.ns, pod.name});
        const QString id = json.value(QLatin1String("status"))
                               .toObject()
                               .value(QLatin1String("containerStatuses"))
                               .toArray()
                               .first()
                               .toObject()
                               .value(QLatin1String("containerID"))
                               .toString();
        return id.section(QStringLiteral("://"), -1);
    }

    // No agent pod, no podtap filter or device in the pod, no stream process for it.
    void verifyNothingLeft(const RigFixture::Pod &pod, const QString &containerId)
    {
        QTRY_VERIFY2_WITH_TIMEOUT(
            m_rig.agentPods().isEmpty(), qPrintable(m_rig.agentPods().join(QLatin1Char(' '))), 20000);
        QTRY_VERIFY2_WITH_TIMEOUT(m_rig.podtapObjectsIn(pod).isEmpty(),
            qPrintable(m_rig.podtapObjectsIn(pod).join(QStringLiteral("; "))), 10000);
        const QStringList streams = {QStringLiteral("stream"), containerId};
        QTRY_VERIFY2_WITH_TIMEOUT(
            processesWith(streams).isEmpty(), qPrintable(processesWith(streams).join(QLatin1Char('\n'))), 10000);
    }

    // The workstation cannot receive the tunnel: its UDP port is dropped before any socket sees it.
    void blockTunnelPort(bool block)
    {
        const QByteArray rules = block ? QByteArrayLiteral("table inet podtap_stream_test {\n"
                                                           "  chain input {\n"
                                                           "    type filter hook prerouting priority -400;\n"
                                                           "    udp dport 4789 drop\n"
                                                           "  }\n"
                                                           "}\n")
                                       : QByteArrayLiteral("delete table inet podtap_stream_test\n");
        const ProcessResult nft = m_rig.inNetns(
            m_rig.workstationNetns(), {QStringLiteral("nft"), QStringLiteral("-f"), QStringLiteral("-")}, 30000, rules);
        QVERIFY2(nft.ok(), qPrintable(nft.describe({QStringLiteral("nft")})));
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QString error;
        QVERIFY2(m_rig.start(
                     {QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--namespaces"),
                         QStringLiteral("1"), QStringLiteral("--pods"), QStringLiteral("6"), QStringLiteral("--seed"),
                         QStringLiteral("5"), QStringLiteral("--traffic-interval"), QStringLiteral("100")},
                     &error),
            qPrintable(error));
        m_nodeA = m_rig.nodes().at(0).name;
        m_nodeB = m_rig.nodes().at(1).name;
        QVERIFY2(!m_rig.podOn(m_nodeA, 1).name.isEmpty(), "the tests need two pods on the first node");
        QVERIFY2(!m_rig.podOn(m_nodeB, 0).name.isEmpty(), "the tests need a pod on the second node");
    }

    void cleanupTestCase()
    {
        const QStringList left = m_rig.stop();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral("; "))));
    }

    // "This machine" with the tunnel blocked: the session sees no tunnel packet although the agent mirrors,
    // switches to the stream, says so, and the file still gets the marker flow.
    void localFallsBackToTheStreamWhenTheTunnelIsBlocked()
    {
        const RigFixture::Pod pod = m_rig.podOn(m_nodeA, 0);
        const QString containerId = containerIdOf(pod);
        QVERIFY(!containerId.isEmpty());
        const QString file = m_scratch.filePath(QStringLiteral("fallback.pcapng"));
        blockTunnelPort(true);
        const ProcessResult tap =
            m_rig.podtapctl({QStringLiteral("tap"), pod.ref(), QStringLiteral("--to"), QStringLiteral("local"),
                                QStringLiteral("--write"), file, QStringLiteral("--duration"), QStringLiteral("25s")},
                180000);
        blockTunnelPort(false);
        QVERIFY2(tap.ok(),
            qPrintable(QStringLiteral("podtapctl tap --to local, tunnel blocked: exit %1\n%2")
                           .arg(tap.exitCode)
                           .arg(QString::fromUtf8(tap.err.right(900)))));
        const QString said = QString::fromUtf8(tap.err);
        static const QRegularExpression why(QStringLiteral(
            "path: tunnel: no packet from node %1 \\(\\S+\\) in \\d+ s although the agent mirrored [1-9]\\d*; "
            "streaming through the API server instead")
                                                .arg(QRegularExpression::escape(pod.node)));
        QVERIFY2(why.match(said).hasMatch(), qPrintable(said));
        QVERIFY2(
            said.contains(QStringLiteral("Streaming %1/eth0 through the API server").arg(pod.ref())), qPrintable(said));
        // The final summary names the path that ran.
        QVERIFY2(said.contains(QStringLiteral("; path: tunnel: no packet from node")), qPrintable(said));
        const QString problem = RigFixture::markerFlowProblem(file, pod);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        verifyNothingLeft(pod, containerId);
    }

    void apiDestinationStreamsDirectly()
    {
        const RigFixture::Pod pod = m_rig.podOn(m_nodeB, 0);
        const QString containerId = containerIdOf(pod);
        const QString file = m_scratch.filePath(QStringLiteral("api.pcapng"));
        const ProcessResult tap =
            m_rig.podtapctl({QStringLiteral("tap"), pod.ref(), QStringLiteral("--to"), QStringLiteral("api"),
                                QStringLiteral("--write"), file, QStringLiteral("--duration"), QStringLiteral("5s")},
                120000);
        QVERIFY2(tap.ok(),
            qPrintable(QStringLiteral("podtapctl tap --to api: exit %1\n%2")
                           .arg(tap.exitCode)
                           .arg(QString::fromUtf8(tap.err.right(900)))));
        QVERIFY2(tap.err.contains("path: stream through the API server (chosen: --to api)"), tap.err.constData());
        // No tunnel was ever tried: no sender pod.
        QVERIFY2(!tap.err.contains("Mirroring"), tap.err.constData());
        const QString problem = RigFixture::markerFlowProblem(file, pod);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        verifyNothingLeft(pod, containerId);
    }

    // SIGKILL of the console closes its exec connection: the stream ends at once (stdin EOF), and the idle agent
    // pod stops by itself within the heartbeat timeout.
    void killedConsoleEndsTheStreamAndTheHoldLapses()
    {
        const RigFixture::Pod pod = m_rig.podOn(m_nodeA, 1);
        const QString containerId = containerIdOf(pod);
        std::unique_ptr<QProcess> tap = m_rig.startPodtapctl({QStringLiteral("tap"), pod.ref(), QStringLiteral("--to"),
            QStringLiteral("api"), QStringLiteral("--capture"), QStringLiteral("none"), QStringLiteral("--write"),
            m_scratch.filePath(QStringLiteral("killed.pcapng")), QStringLiteral("--heartbeat-timeout"),
            QStringLiteral("6")});
        const QStringList streams = {QStringLiteral("stream"), containerId};
        QVERIFY2(waitUntil([&] { return !processesWith(streams).isEmpty(); }, 60000),
            qPrintable(QString::fromUtf8(tap->readAllStandardError())));
        const QStringList pods = m_rig.agentPods();
        QCOMPARE(pods.size(), 1);
        QVERIFY2(pods.first().endsWith(QLatin1String("-st")), qPrintable(pods.first()));
        const QStringList holds = {QStringLiteral("hold"), QStringLiteral("--heartbeat-timeout")};
        QVERIFY2(!processesWith(holds).isEmpty(), "the agent pod should idle in podtap-agent hold");

        ::kill(pid_t(tap->processId()), SIGKILL);
        tap->waitForFinished(5000);
        // The socket closed: the sim ends the exec's stdin, and the stream stops well before any heartbeat lapse.
        QVERIFY2(waitUntil([&] { return processesWith(streams).isEmpty(); }, 5000),
            qPrintable(processesWith(streams).join(QLatin1Char('\n'))));
        // Nobody heartbeats the pod any more: its hold stops within the timeout (6 s, checked each second).
        QVERIFY2(waitUntil(
                     [&] {
                         const QJsonObject json = m_rig.getJson(
                             {QStringLiteral("pod"), QStringLiteral("-n"), QStringLiteral("podtap"), pods.first()});
                         const QString phase =
                             json.value(QLatin1String("status")).toObject().value(QLatin1String("phase")).toString();
                         return phase == QLatin1String("Succeeded") || phase == QLatin1String("Failed") ||
                             json.isEmpty();
                     },
                     20000),
            qPrintable(m_rig
                           .kubectl({QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("-n"),
                               QStringLiteral("podtap"), pods.first(), QStringLiteral("-o"), QStringLiteral("yaml")})
                           .out));
        const ProcessResult logs =
            m_rig.kubectl({QStringLiteral("logs"), QStringLiteral("-n"), QStringLiteral("podtap"), pods.first()});
        QVERIFY2(logs.out.contains("heartbeat"), logs.out.constData());
        const ProcessResult sweep =
            m_rig.podtapctl({QStringLiteral("sweep"), QStringLiteral("--heartbeat-timeout"), QStringLiteral("6")});
        QVERIFY2(sweep.ok(), qPrintable(sweep.describe({QStringLiteral("podtapctl sweep")})));
        verifyNothingLeft(pod, containerId);
    }
};

QTEST_GUILESS_MAIN(TestPodtapctlStreamRig)
#include "tst_podtapctl_stream_rig.moc"
