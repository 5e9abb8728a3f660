// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"
#include "support/benchmark_report.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <unistd.h>

using namespace podtap::test;

namespace {

constexpr int kTargets = 30;
constexpr int kRuns = 3; // the time to all ready is the median of this many agents
constexpr int kBaseVni = 6100;

/// VmHWM and VmRSS of @p pid in KiB, from /proc/<pid>/status.
QPair<long, long> memoryKb(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly)) {
        return {0, 0};
    }
    const QString text = QString::fromUtf8(status.readAll());
    const auto field = [&](const QString &name) {
        static const QRegularExpression number(QStringLiteral("(\\d+)"));
        const int at = text.indexOf(name + QLatin1Char(':'));
        return at < 0 ? 0L : number.match(text, at).captured(1).toLong();
    };
    return {field(QStringLiteral("VmHWM")), field(QStringLiteral("VmRSS"))};
}

} // namespace

/// @brief What many targets cost in one agent: its memory with 30 targets next to a single-target agent's,
/// and the time from its start until all 30 are ready.
class TestAgentMultiBench final : public QObject
{
    Q_OBJECT

    std::unique_ptr<AgentRig> m_rig; ///< the node (the agent's netns), the receiver and pod 0
    QStringList m_pods; ///< the extra pods' netns names
    QList<std::shared_ptr<QProcess>> m_podProcesses;
    QList<qint64> m_pids; ///< a process in each target pod (pod 0 first)
    QTemporaryDir m_dir;

    /// Waits until @p agent has printed `ready` for @p count targets (untagged counts as one).
    static bool waitForReady(QProcess &agent, int count, QStringList *errors)
    {
        int ready = 0;
        QElapsedTimer timer;
        timer.start();
        while (ready < count && timer.elapsed() < 60000) {
            if (!agent.canReadLine() && !agent.waitForReadyRead(1000)) {
                if (agent.state() == QProcess::NotRunning) {
                    break;
                }
                continue;
            }
            while (agent.canReadLine()) {
                const QJsonObject event = QJsonDocument::fromJson(agent.readLine()).object();
                const QString name = event.value(QStringLiteral("event")).toString();
                ready += name == QStringLiteral("ready");
                if (name == QStringLiteral("error")) {
                    *errors << QString::fromUtf8(QJsonDocument(event).toJson(QJsonDocument::Compact));
                }
            }
        }
        return ready >= count;
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QVERIFY(m_dir.isValid());
        m_rig = std::make_unique<AgentRig>(QStringLiteral("w%1").arg(::getpid()));
        QString error;
        QVERIFY2(m_rig->setUp(AgentRigOptions {}, &error), qPrintable(error));
        m_pids << m_rig->podPid();
        // The other pods: a netns with an eth0 (a veth to the node) and a process, all the agent needs.
        for (int i = 1; i < kTargets; ++i) {
            const QString ns = QStringLiteral("ptq%1x%2").arg(::getpid()).arg(i);
            m_pods << ns;
            mustRun({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("add"), ns});
            mustRun({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->nodeNs(), QStringLiteral("link"),
                QStringLiteral("add"), QStringLiteral("vq%1").arg(i), QStringLiteral("type"), QStringLiteral("veth"),
                QStringLiteral("peer"), QStringLiteral("name"), QStringLiteral("eth0"), QStringLiteral("netns"), ns});
            mustRun({QStringLiteral("ip"), QStringLiteral("-n"), ns, QStringLiteral("link"), QStringLiteral("set"),
                QStringLiteral("eth0"), QStringLiteral("up")});
            auto process = std::make_shared<QProcess>();
            process->start(QStringLiteral("ip"),
                {QStringLiteral("netns"), QStringLiteral("exec"), ns, QStringLiteral("sleep"), QStringLiteral("3600")});
            QVERIFY(process->waitForStarted(5000));
            m_podProcesses << process;
            m_pids << process->processId();
        }
        // `ip netns exec` enters the netns before it execs sleep: wait until every process is inside.
        QThread::msleep(300);
    }

    void memoryAndTimeToReady()
    {
        const QString remote = m_rig->receiverUnderlayIp();
        // Anchor: one single-target agent, as a single-pod tap runs it.
        auto single = m_rig->startAgent({QStringLiteral("mirror"), QStringLiteral("--pid"),
            QString::number(m_pids.first()), QStringLiteral("--vni"), QString::number(kBaseVni),
            QStringLiteral("--remote"), remote, QStringLiteral("--stats-interval"), QStringLiteral("1")});
        QStringList errors;
        QVERIFY2(waitForReady(*single, 1, &errors), qPrintable(errors.join(QLatin1Char('\n'))));
        QThread::msleep(2500); // a few stats rounds, so the memory is that of a running agent
        const QPair<long, long> anchor = memoryKb(single->processId());
        QVERIFY(AgentRig::stop(*single, SIGTERM));

        const auto runMulti = [&](int targets, double *ms, QPair<long, long> *memory) {
            QStringList lines;
            for (int i = 0; i < targets; ++i) {
                lines
                    << QStringLiteral("bench/pod-%1 --pid %2 --vni %3").arg(i).arg(m_pids.at(i)).arg(kBaseVni + 1 + i);
            }
            const QString file = m_dir.filePath(QStringLiteral("targets-%1").arg(targets));
            QFile out(file);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(lines.join(QLatin1Char('\n')).toUtf8());
            out.close();
            QElapsedTimer timer;
            timer.start();
            auto agent = m_rig->startAgent({QStringLiteral("mirror"), QStringLiteral("--targets-file"), file,
                QStringLiteral("--remote"), remote, QStringLiteral("--session"), QStringLiteral("bench"),
                QStringLiteral("--stats-interval"), QStringLiteral("1")});
            QStringList failures;
            QVERIFY2(waitForReady(*agent, targets, &failures), qPrintable(failures.join(QLatin1Char('\n'))));
            *ms = timer.nsecsElapsed() / 1e6;
            QThread::msleep(2500);
            *memory = memoryKb(agent->processId());
            QVERIFY(AgentRig::stop(*agent, SIGTERM));
            QCOMPARE(agent->exitCode(), 0);
        };
        QPair<long, long> one;
        double oneMs = 0;
        runMulti(1, &oneMs, &one);
        QList<double> times;
        QPair<long, long> many;
        for (int run = 0; run < kRuns; ++run) {
            double ms = 0;
            runMulti(kTargets, &ms, &many);
            times << ms;
        }
        // Nothing is left in any pod by any of these agents.
        for (const QString &ns : m_pods) {
            const QByteArray links = mustRun({QStringLiteral("ip"), QStringLiteral("-n"), ns, QStringLiteral("-d"),
                QStringLiteral("link"), QStringLiteral("show")});
            QVERIFY2(!links.contains("vxlan"), links.constData());
        }
        std::sort(times.begin(), times.end());
        const QString body = QStringLiteral(
            "One `podtap-agent mirror --targets-file` with %1 targets (each a pod netns with its own VXLAN "
            "device, clsact and two u32 filters, `--stats-interval 1`), next to one single-target "
            "`podtap-agent mirror` in the same run. Memory is read from `/proc/PID/status` after 2.5 s of "
            "running; the time is from starting the agent (through `ip netns exec`) to its last `ready`, "
            "median of %2 agents.\n\n"
            "```sh\nctest --test-dir build -R tst_agent_multi_bench --output-on-failure   # needs root\n```\n\n"
            "| what | VmHWM (peak) | VmRSS | start → all `ready` |\n|---|---|---|---|\n"
            "| anchor: single-target `mirror`, 1 pod | %3 KiB | %4 KiB | |\n"
            "| `mirror --targets-file`, 1 target | %5 KiB | %6 KiB | %7 ms |\n"
            "| `mirror --targets-file`, %1 targets | %8 KiB | %9 KiB | %10 ms (min %11, max %12) |\n"
            "| %1 single-target agents (%1 × the anchor, for comparison) | %13 KiB | %14 KiB | |\n\n"
            "Each target past the first adds about %16 KiB to the agent (its netns descriptor, two netlink "
            "sockets' user-space state and a link monitor socket; the sockets' kernel buffers are not in "
            "RSS), where a single-target agent per pod costs its whole RSS again. Load average when this run "
            "ended: %15 on 2 cores.\n")
                                 .arg(kTargets)
                                 .arg(kRuns)
                                 .arg(anchor.first)
                                 .arg(anchor.second)
                                 .arg(one.first)
                                 .arg(one.second)
                                 .arg(oneMs, 0, 'f', 0)
                                 .arg(many.first)
                                 .arg(many.second)
                                 .arg(times.at(times.size() / 2), 0, 'f', 0)
                                 .arg(times.first(), 0, 'f', 0)
                                 .arg(times.last(), 0, 'f', 0)
                                 .arg(anchor.first * kTargets)
                                 .arg(anchor.second * kTargets)
                                 .arg(loadAverage())
                                 .arg(double(many.second - one.second) / (kTargets - 1), 0, 'f', 1);
        qInfo().noquote() << body;
        QCOMPARE(writeBenchmarkSubsection(QStringLiteral("podtap-agent"),
                     QStringLiteral("Many targets in one agent (`mirror --targets-file`)"), body),
            QString());
    }

    void cleanupTestCase()
    {
        for (auto &process : m_podProcesses) {
            process->kill();
            process->waitForFinished(5000);
        }
        for (const QString &ns : m_pods) {
            run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), ns});
        }
        m_rig.reset(); // also removes the node netns and the veths' node ends with it
    }
};

QTEST_GUILESS_MAIN(TestAgentMultiBench)
#include "tst_agent_multi_bench.moc"
