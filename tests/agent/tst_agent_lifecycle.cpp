// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace podtap::test;

/// @brief podtap-agent finds a CRI-O pod and tears down by itself when its console or its pod goes away.
class TestAgentLifecycle final : public QObject
{
    Q_OBJECT

    std::unique_ptr<AgentRig> m_rig;
    QTemporaryDir m_dir;

    QStringList mirrorArgs(const QStringList &extra) const
    {
        return QStringList {QStringLiteral("mirror"), QStringLiteral("--container-id"),
                   QStringLiteral("cri-o://") + m_rig->containerId(), QStringLiteral("--proc-root"), m_rig->procRoot(),
                   QStringLiteral("--vni"), QStringLiteral("900"), QStringLiteral("--remote"),
                   m_rig->receiverUnderlayIp()} +
            extra;
    }

    void verifyClean()
    {
        for (const QString &hook : {QStringLiteral("ingress"), QStringLiteral("egress")}) {
            QVERIFY2(!m_rig->podFilters(hook).contains(QStringLiteral("cookie")), qPrintable(m_rig->podFilters(hook)));
        }
        QVERIFY(!run({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("link"),
                         QStringLiteral("show"), QStringLiteral("ptap900")})
                     .ok());
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        m_rig = std::make_unique<AgentRig>(QStringLiteral("l%1").arg(::getpid()));
        AgentRigOptions options;
        options.runtime = AgentRigOptions::Runtime::Crio;
        QString error;
        QVERIFY2(m_rig->setUp(options, &error), qPrintable(error));
    }

    void findsCrioContainerAndPod()
    {
        auto agent = m_rig->startAgent(mirrorArgs({}));
        const QJsonObject ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("pid")).toInteger(), m_rig->podPid());
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        const ProcessResult byUid = run(AgentRig::inNs(m_rig->nodeNs(),
            {AgentRig::agentPath(), QStringLiteral("inspect"), QStringLiteral("--pod-uid"), m_rig->podUid(),
                QStringLiteral("--proc-root"), m_rig->procRoot()}));
        QVERIFY2(byUid.ok(), qPrintable(byUid.describe({QStringLiteral("inspect")})));
        QVERIFY(byUid.out.contains("\"name\":\"eth0\""));
    }

    void refusesTheNodeNetns()
    {
        const ProcessResult result = run(AgentRig::inNs(m_rig->nodeNs(),
            {AgentRig::agentPath(), QStringLiteral("mirror"), QStringLiteral("--netns"), m_rig->nodeNs(),
                QStringLiteral("--vni"), QStringLiteral("5"), QStringLiteral("--remote"),
                m_rig->receiverUnderlayIp()}));
        QCOMPARE(result.exitCode, 3);
        QVERIFY2(result.err.contains("loop"), result.err.constData());
    }

    void kernelRefusalExitsFourAndLeavesNothing()
    {
        // --name eth0 collides with the pod's own interface: the kernel refuses the VXLAN device.
        const ProcessResult result = run(AgentRig::inNs(m_rig->nodeNs(),
            QStringList {AgentRig::agentPath()} + mirrorArgs({QStringLiteral("--name"), QStringLiteral("eth0")})));
        QCOMPARE(result.exitCode, 4);
        QVERIFY2(result.err.contains("create vxlan eth0") && result.err.contains("File exists") &&
                result.err.contains("in netns " + m_rig->procRoot().toUtf8()),
            result.err.constData());
        verifyClean();
        const QByteArray qdiscs = mustRun({QStringLiteral("tc"), QStringLiteral("-n"), m_rig->podNs(),
            QStringLiteral("qdisc"), QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0")});
        QVERIFY(!qdiscs.contains("clsact"));
    }

    void receiverOwnsItsSourceFilter()
    {
        auto receiver = m_rig->startReceiver(4100, QStringLiteral("rxnft"));
        const QJsonObject ready = AgentRig::waitForEvent(*receiver, QStringLiteral("ready"), 10000, nullptr);
        QCOMPARE(ready.value(QStringLiteral("source_filter")).toString(), QStringLiteral("podtap-recv-rxnft"));
        const QStringList list = AgentRig::inNs(m_rig->receiverNs(),
            {QStringLiteral("nft"), QStringLiteral("list"), QStringLiteral("table"), QStringLiteral("inet"),
                QStringLiteral("podtap-recv-rxnft")});
        const ProcessResult table = run(list);
        QVERIFY2(table.ok() && table.out.contains(m_rig->nodeUnderlayIp().toUtf8()), qPrintable(table.describe(list)));
        QVERIFY(AgentRig::stop(*receiver, SIGTERM));
        QCOMPARE(receiver->exitCode(), 0);
        QVERIFY2(!run(list).ok(), "the receiver removes its nftables table");
        QVERIFY(!run({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->receiverNs(), QStringLiteral("link"),
                         QStringLiteral("show"), QStringLiteral("rxnft")})
                     .ok());
    }

    void heartbeatLapseTearsDown()
    {
        const QString file = m_dir.filePath(QStringLiteral("annotations"));
        QFile annotations(file);
        QVERIFY(annotations.open(QIODevice::WriteOnly));
        annotations.write("podtap.io/session=\"s\"\npodtap.io/heartbeat=\"" +
            QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toLatin1() + "\"\n");
        annotations.close();
        QElapsedTimer timer;
        timer.start();
        auto agent = m_rig->startAgent(mirrorArgs(
            {QStringLiteral("--heartbeat-file"), file, QStringLiteral("--heartbeat-timeout"), QStringLiteral("2")}));
        QVERIFY(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 10000, nullptr);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("heartbeat"));
        QVERIFY(timer.elapsed() >= 2000);
        QVERIFY(agent->waitForFinished(5000));
        QCOMPARE(agent->exitCode(), 0);
        verifyClean();
    }

    void heartbeatIsTimedOnTheAgentsOwnClock_data()
    {
        // The console's clock and the node's differ; only a change of the value counts, timed by the agent.
        QTest::addColumn<qint64>("offsetSeconds"); // the heartbeat's time relative to this machine's clock
        QTest::addColumn<bool>("changes"); // the console keeps writing new values
        QTest::addColumn<bool>("rfc3339"); // false: an opaque counter
        QTest::newRow("200 s in the past, changing: alive") << qint64(-200) << true << true;
        QTest::newRow("a day in the past, changing: alive") << qint64(-86400) << true << true;
        QTest::newRow("a day in the future, changing: alive") << qint64(86400) << true << true;
        QTest::newRow("opaque counter, changing: alive") << qint64(0) << true << false;
        QTest::newRow("a day in the future, unchanged: lapses") << qint64(86400) << false << true;
        QTest::newRow("a day in the past, unchanged: lapses") << qint64(-86400) << false << true;
        QTest::newRow("opaque counter, unchanged: lapses") << qint64(0) << false << false;
    }

    void heartbeatIsTimedOnTheAgentsOwnClock()
    {
        QFETCH(qint64, offsetSeconds);
        QFETCH(bool, changes);
        QFETCH(bool, rfc3339);
        const QString file = m_dir.filePath(QStringLiteral("skewed-annotations"));
        int beat = 0;
        const auto writeBeat = [&] {
            ++beat;
            const QByteArray value = rfc3339
                ? QDateTime::currentDateTimeUtc().addSecs(offsetSeconds).toString(Qt::ISODateWithMs).toLatin1()
                : QByteArray::number(beat);
            QFile annotations(file);
            QVERIFY(annotations.open(QIODevice::WriteOnly | QIODevice::Truncate));
            annotations.write("podtap.io/session=\"s\"\npodtap.io/heartbeat=\"" + value + "\"\n");
        };
        writeBeat();
        constexpr int kTimeoutS = 2;
        QElapsedTimer timer;
        timer.start();
        auto agent = m_rig->startAgent(
            mirrorArgs({QStringLiteral("--heartbeat-file"), file, QStringLiteral("--heartbeat-timeout"),
                QString::number(kTimeoutS), QStringLiteral("--stats-interval"), QStringLiteral("0")}));
        QList<QJsonObject> seen;
        QVERIFY2(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, &seen).isEmpty(),
            agent->readAllStandardError().constData());
        if (changes) {
            // Three timeouts' worth of beats, each well inside the timeout: the tap must stay.
            while (timer.elapsed() < 3 * kTimeoutS * 1000) {
                QTest::qWait(400);
                writeBeat();
                QVERIFY2(agent->state() == QProcess::Running,
                    qPrintable(QStringLiteral("the agent stopped although the heartbeat changed: ") +
                        QString::fromUtf8(agent->readAllStandardOutput() + agent->readAllStandardError())));
            }
            QVERIFY(AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 0, &seen).isEmpty());
            QVERIFY(AgentRig::stop(*agent, SIGTERM));
            QCOMPARE(agent->exitCode(), 0);
        } else {
            const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 10000, &seen);
            QVERIFY2(stopped.value(QStringLiteral("reason")).toString() == QStringLiteral("heartbeat"),
                qPrintable(QStringLiteral("a heartbeat that never changes must lapse; stderr: ") +
                    QString::fromUtf8(agent->readAllStandardError())));
            QVERIFY(timer.elapsed() >= kTimeoutS * 1000);
            QVERIFY(agent->waitForFinished(5000));
            QCOMPARE(agent->exitCode(), 0);
        }
        verifyClean();
    }

    void missingHeartbeatFileCountsFromTheStart()
    {
        QElapsedTimer timer;
        timer.start();
        auto agent = m_rig->startAgent(
            mirrorArgs({QStringLiteral("--heartbeat-file"), m_dir.filePath(QStringLiteral("never-written")),
                QStringLiteral("--heartbeat-timeout"), QStringLiteral("2")}));
        QVERIFY(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 10000, nullptr);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("heartbeat"));
        QVERIFY(timer.elapsed() >= 2000);
        QVERIFY(agent->waitForFinished(5000));
        verifyClean();
    }

    void worksFromItsOwnPidNamespace()
    {
        // The sender pod without hostPID: the agent sees only its own PID namespace at /proc, and the
        // node's processes through the hostPath /proc mounted elsewhere and passed as --proc-root.
        if (m_rig->procRoot() != QStringLiteral("/proc")) {
            QSKIP("the rig uses a fake proc root here (no writable cgroup2), which cannot stand in for a procfs");
        }
        QDir dir(m_dir.path());
        QVERIFY(dir.mkpath(QStringLiteral("hostproc")));
        const QString hostProc = dir.filePath(QStringLiteral("hostproc"));
        auto receiver = m_rig->startReceiver(900, QStringLiteral("rxpidns"));
        QVERIFY(!AgentRig::waitForEvent(*receiver, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        QString error;
        RigCapture capture = m_rig->startCapture(QStringLiteral("rxpidns"), &error);
        QVERIFY2(capture.process, qPrintable(error));
        // bash stays PID 1 of the new namespace and the agent runs as its child: a PID 1 ignores SIGTERM.
        const QString script =
            QStringLiteral("set -e; mount --bind /proc \"$1\"; mount -t proc proc /proc; "
                           "test \"$(ls /proc | grep -c '^[0-9]')\" -lt 5; "
                           "\"$0\" mirror --container-id \"cri-o://$2\" --proc-root \"$1\" --vni 900 --remote \"$3\" "
                           "--deadline 4 --stats-interval 0; status=$?; umount /proc; umount \"$1\"; exit $status");
        auto agent = std::make_unique<QProcess>();
        const QStringList command = AgentRig::inNs(m_rig->nodeNs(),
            {QStringLiteral("unshare"), QStringLiteral("--mount"), QStringLiteral("--pid"), QStringLiteral("--fork"),
                QStringLiteral("--propagation"), QStringLiteral("private"), QStringLiteral("bash"),
                QStringLiteral("-c"), script, AgentRig::agentPath(), hostProc, m_rig->containerId(),
                m_rig->receiverUnderlayIp()});
        agent->start(command.first(), command.mid(1));
        QList<QJsonObject> seen;
        const QJsonObject ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, &seen);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        // The PID in the host's numbering: found through the host /proc, not the agent's own.
        QCOMPARE(ready.value(QStringLiteral("pid")).toInteger(), m_rig->podPid());
        AgentRig::bashIn(m_rig->podNs(), QStringLiteral("for i in 1 2 3; do echo x > /dev/udp/192.0.2.1/5031; done"));
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 15000, &seen);
        QVERIFY2(stopped.value(QStringLiteral("reason")).toString() == QStringLiteral("deadline"),
            agent->readAllStandardError().constData());
        QVERIFY(agent->waitForFinished(5000));
        QCOMPARE(agent->exitCode(), 0);
        const QList<QStringList> rows =
            m_rig->finishCapture(capture, {QStringLiteral("ip.src"), QStringLiteral("udp.dstport")});
        QVERIFY(AgentRig::stop(*receiver, SIGTERM));
        int mirrored = 0;
        for (const QStringList &row : rows) {
            mirrored += row.value(0) == AgentRig::podIp() && row.value(1) == QStringLiteral("5031") ? 1 : 0;
        }
        QVERIFY2(mirrored >= 3, qPrintable(QStringLiteral("mirrored UDP packets: %1").arg(mirrored)));
        verifyClean();
    }

    void podGoneTearsDown()
    {
        auto agent = m_rig->startAgent(mirrorArgs({}));
        QVERIFY(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        m_rig->killPod(); // the pod's processes are gone; its named netns (and podtap's marks) still exist
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 10000, nullptr);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("target-gone"));
        QVERIFY(agent->waitForFinished(5000));
        QCOMPARE(agent->exitCode(), 0);
        verifyClean();
    }

    void cleanupTestCase() { m_rig.reset(); }
};

QTEST_GUILESS_MAIN(TestAgentLifecycle)
#include "tst_agent_lifecycle.moc"
