// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <unistd.h>

using namespace podtap::test;

namespace {

/// The JSON line with "event": @p event in @p file, or an empty object.
QJsonObject eventInFile(const QString &file, const QString &event)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly)) {
        return {};
    }
    for (const QByteArray &line : in.readAll().split('\n')) {
        const QJsonObject object = QJsonDocument::fromJson(line).object();
        if (object.value(QStringLiteral("event")).toString() == event) {
            return object;
        }
    }
    return {};
}

/// True while @p pid runs: a zombie (exited, not yet reaped by its new parent) counts as gone.
bool processRuns(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !stat.open(QIODevice::ReadOnly)) {
        return false;
    }
    const QByteArray text = stat.readAll();
    const int afterName = text.lastIndexOf(')');
    return afterName > 0 && text.mid(afterName + 2, 1) != "Z";
}

/// Polls @p condition every 50 ms until it holds or @p timeoutMs pass.
template<typename Condition>
bool pollUntil(Condition condition, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired()) {
            return false;
        }
        QThread::msleep(50);
    }
    return true;
}

bool nftTableExists(const QString &ns, const QString &table)
{
    return run(
        AgentRig::inNs(ns,
            {QStringLiteral("nft"), QStringLiteral("list"), QStringLiteral("table"), QStringLiteral("inet"), table}))
        .ok();
}

/// Kills a process that outlived its test (it no longer has a QProcess once its parent is gone).
struct OrphanGuard
{
    qint64 pid = 0;
    ~OrphanGuard()
    {
        if (processRuns(pid)) {
            ::kill(static_cast<pid_t>(pid), SIGKILL);
        }
    }
};

} // namespace

/// @brief podtap-agent stops by itself (its parent dies, its deadline passes) and leaves nothing behind;
/// with no --local it sends from, and receives on, whatever address the kernel picks.
class TestAgentSelfStop final : public QObject
{
    Q_OBJECT

    std::unique_ptr<AgentRig> m_rig;
    QTemporaryDir m_dir;

    QStringList mirrorArgs(int vni, const QStringList &extra) const
    {
        return QStringList {QStringLiteral("mirror"), QStringLiteral("--container-id"),
                   QStringLiteral("containerd://") + m_rig->containerId(), QStringLiteral("--proc-root"),
                   m_rig->procRoot(), QStringLiteral("--vni"), QString::number(vni), QStringLiteral("--remote"),
                   m_rig->receiverUnderlayIp()} +
            extra;
    }

    void verifyPodClean(const QString &device)
    {
        for (const QString &hook : {QStringLiteral("ingress"), QStringLiteral("egress")}) {
            QVERIFY2(!m_rig->podFilters(hook).contains(QStringLiteral("cookie")), qPrintable(m_rig->podFilters(hook)));
        }
        QVERIFY2(
            !AgentRig::linkExists(m_rig->podNs(), device), qPrintable(device + QStringLiteral(" is left in the pod")));
        const QByteArray qdiscs = mustRun({QStringLiteral("tc"), QStringLiteral("-n"), m_rig->podNs(),
            QStringLiteral("qdisc"), QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0")});
        QVERIFY2(!qdiscs.contains("clsact"), qdiscs.constData());
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QVERIFY(m_dir.isValid());
        m_rig = std::make_unique<AgentRig>(QStringLiteral("s%1").arg(::getpid()));
        QString error;
        QVERIFY2(m_rig->setUp(AgentRigOptions {}, &error), qPrintable(error));
    }

    void receiverExitsWithItsParent()
    {
        const QString device = QStringLiteral("rxparent");
        const QString table = QStringLiteral("podtap-recv-") + device;
        const QString out = m_dir.filePath(QStringLiteral("receiver.out"));
        const QString pidFile = m_dir.filePath(QStringLiteral("receiver.pid"));
        // The parent is a shell that the test kills with SIGKILL: it gets no chance to pass anything on.
        QProcess parent;
        parent.start(QStringLiteral("ip"),
            {QStringLiteral("netns"), QStringLiteral("exec"), m_rig->receiverNs(), QStringLiteral("bash"),
                QStringLiteral("-c"),
                QStringLiteral("\"$0\" receive --vni 4301 --name \"$1\" --remote \"$2\" "
                               "--exit-with-parent >\"$3\" 2>&1 & echo $! >\"$4\"; wait"),
                AgentRig::agentPath(), device, m_rig->nodeUnderlayIp(), out, pidFile});
        QVERIFY(parent.waitForStarted(5000));
        OrphanGuard agent;
        QVERIFY2(pollUntil([&] { return !eventInFile(out, QStringLiteral("ready")).isEmpty(); }, 10000),
            qPrintable(QStringLiteral("no ready event; receiver output: ") + QString::fromUtf8([&] {
                QFile f(out);
                return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
            }())));
        QFile pid(pidFile);
        QVERIFY(pid.open(QIODevice::ReadOnly));
        agent.pid = pid.readAll().trimmed().toLongLong();
        QVERIFY(processRuns(agent.pid));
        QVERIFY(AgentRig::linkExists(m_rig->receiverNs(), device));
        QVERIFY(nftTableExists(m_rig->receiverNs(), table));

        ::kill(static_cast<pid_t>(parent.processId()), SIGKILL);
        QVERIFY(parent.waitForFinished(5000));
        QVERIFY2(pollUntil([&] { return !processRuns(agent.pid); }, 10000), "the receiver outlived its parent");
        const QJsonObject stopped = eventInFile(out, QStringLiteral("stopped"));
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("parent-gone"));
        QVERIFY2(!AgentRig::linkExists(m_rig->receiverNs(), device), "the receiver removes its VXLAN device");
        QVERIFY2(!nftTableExists(m_rig->receiverNs(), table), "the receiver removes its nftables table");
    }

    void receiverStopsThroughItsStdin_data()
    {
        QTest::addColumn<QByteArray>("input"); // what the unprivileged console side writes
        QTest::addColumn<bool>("close"); // then closes its end
        QTest::addColumn<QString>("reason");
        QTest::newRow("stop line") << QByteArray("stop\n") << false << QStringLiteral("stdin-stop");
        QTest::newRow("stop line with CRLF") << QByteArray("stop\r\n") << false << QStringLiteral("stdin-stop");
        QTest::newRow("EOF") << QByteArray() << true << QStringLiteral("stdin-closed");
    }

    void receiverStopsThroughItsStdin()
    {
        // A console without root cannot signal a receiver that pkexec started as root; it holds the
        // receiver's stdin instead. Here the console side is a process running as nobody.
        QFETCH(QByteArray, input);
        QFETCH(bool, close);
        QFETCH(QString, reason);
        const QString device = QStringLiteral("rxstdin");
        const QString table = QStringLiteral("podtap-recv-") + device;
        QProcess console;
        QProcess receiver;
        console.setStandardOutputProcess(&receiver);
        const QStringList receive = AgentRig::inNs(m_rig->receiverNs(),
            {AgentRig::agentPath(), QStringLiteral("receive"), QStringLiteral("--vni"), QStringLiteral("4305"),
                QStringLiteral("--name"), device, QStringLiteral("--remote"), m_rig->nodeUnderlayIp()});
        receiver.start(receive.first(), receive.mid(1));
        console.start(QStringLiteral("setpriv"),
            {QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"), QStringLiteral("--clear-groups"),
                QStringLiteral("cat")});
        QVERIFY(console.waitForStarted(5000) && receiver.waitForStarted(5000));
        // When a check fails half-way the receiver still gets SIGTERM, so it removes its device and table.
        const struct StopReceiver
        {
            QProcess &process;
            ~StopReceiver()
            {
                if (process.state() != QProcess::NotRunning) {
                    AgentRig::stop(process, SIGTERM);
                }
            }
        } stopReceiver {receiver};
        const QJsonObject ready = AgentRig::waitForEvent(receiver, QStringLiteral("ready"), 10000, nullptr);
        QVERIFY2(!ready.isEmpty(), receiver.readAllStandardError().constData());
        QVERIFY(AgentRig::linkExists(m_rig->receiverNs(), device));
        QVERIFY(nftTableExists(m_rig->receiverNs(), table));

        // The unprivileged side cannot stop it by a signal.
        const ProcessResult kill = run({QStringLiteral("setpriv"), QStringLiteral("--reuid=65534"),
            QStringLiteral("--regid=65534"), QStringLiteral("--clear-groups"), QStringLiteral("kill"),
            QStringLiteral("-TERM"), QString::number(receiver.processId())});
        QVERIFY2(!kill.ok(), "nobody must not be able to signal the root receiver");
        QVERIFY(!receiver.waitForFinished(500));

        // Something that is not a stop line changes nothing.
        console.write("hello\n");
        QVERIFY(console.waitForBytesWritten(2000));
        QVERIFY(!receiver.waitForFinished(1000));

        if (!input.isEmpty()) {
            console.write(input);
            QVERIFY(console.waitForBytesWritten(2000));
        }
        if (close) {
            console.closeWriteChannel(); // cat sees EOF and exits, which closes the receiver's stdin
        }
        const QJsonObject stopped = AgentRig::waitForEvent(receiver, QStringLiteral("stopped"), 10000, nullptr);
        QVERIFY2(stopped.value(QStringLiteral("reason")).toString() == reason,
            qPrintable(QStringLiteral("stopped: ") +
                QString::fromUtf8(QJsonDocument(stopped).toJson(QJsonDocument::Compact)) +
                QStringLiteral("; stderr: ") + QString::fromUtf8(receiver.readAllStandardError())));
        QVERIFY(receiver.waitForFinished(5000));
        QCOMPARE(receiver.exitStatus(), QProcess::NormalExit);
        QCOMPARE(receiver.exitCode(), 0);
        QVERIFY2(!AgentRig::linkExists(m_rig->receiverNs(), device), "the receiver removes its VXLAN device");
        QVERIFY2(!nftTableExists(m_rig->receiverNs(), table), "the receiver removes its nftables table");
        console.closeWriteChannel();
        QVERIFY(console.waitForFinished(5000));
    }

    void mirrorStopsAtItsDeadline()
    {
        QElapsedTimer timer;
        timer.start();
        auto agent = m_rig->startAgent(mirrorArgs(4302, {QStringLiteral("--deadline"), QStringLiteral("2")}));
        const QJsonObject ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QVERIFY(m_rig->podFilters(QStringLiteral("ingress")).contains(QStringLiteral("cookie")));
        QVERIFY(AgentRig::linkExists(m_rig->podNs(), QStringLiteral("ptap4302")));
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 10000, nullptr);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("deadline"));
        QVERIFY2(timer.elapsed() >= 2000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(agent->waitForFinished(5000));
        QCOMPARE(agent->exitStatus(), QProcess::NormalExit);
        QCOMPARE(agent->exitCode(), 0);
        verifyPodClean(QStringLiteral("ptap4302"));
    }

    void receiveRefusesADeadline()
    {
        // receive ends with its parent or a signal; a --deadline it silently ignored would outlive a capture.
        const ProcessResult result = run({AgentRig::agentPath(), QStringLiteral("receive"), QStringLiteral("--vni"),
            QStringLiteral("4303"), QStringLiteral("--deadline"), QStringLiteral("2")});
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("--deadline"), result.err.constData());
    }

    void kernelPicksTheTunnelAddresses()
    {
        // Neither side names a local address, and the receiver accepts any sender: the console's pods do this.
        const QStringList receive = AgentRig::inNs(m_rig->receiverNs(),
            {AgentRig::agentPath(), QStringLiteral("receive"), QStringLiteral("--vni"), QStringLiteral("4304"),
                QStringLiteral("--name"), QStringLiteral("rxany")});
        auto receiver = std::make_unique<QProcess>();
        receiver->start(receive.first(), receive.mid(1));
        const QJsonObject rxReady = AgentRig::waitForEvent(*receiver, QStringLiteral("ready"), 10000, nullptr);
        QVERIFY2(!rxReady.isEmpty(), receiver->readAllStandardError().constData());
        QCOMPARE(rxReady.value(QStringLiteral("source_filter")).toString(), QString());

        auto agent = m_rig->startAgent(mirrorArgs(4304, {QStringLiteral("--direction"), QStringLiteral("egress")}));
        const QJsonObject ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("local")).toString(), m_rig->nodeUnderlayIp());
        QCOMPARE(ready.value(QStringLiteral("underlay_dev")).toString(), QStringLiteral("ul0"));

        QString error;
        RigCapture capture = m_rig->startCapture(QStringLiteral("rxany"), &error);
        QVERIFY2(capture.process, qPrintable(error));
        AgentRig::bashIn(m_rig->podNs(), QStringLiteral("for i in 1 2 3; do echo x > /dev/udp/192.0.2.1/5011; done"));
        const QList<QStringList> rows = m_rig->finishCapture(
            capture, {QStringLiteral("ip.src"), QStringLiteral("ip.dst"), QStringLiteral("udp.dstport")});
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        QVERIFY(AgentRig::stop(*receiver, SIGTERM));
        int udp = 0;
        for (const QStringList &row : rows) {
            udp += row.value(0) == AgentRig::podIp() && row.value(2) == QStringLiteral("5011") ? 1 : 0;
        }
        QVERIFY2(udp >= 3, qPrintable(QStringLiteral("mirrored UDP packets: %1").arg(udp)));
        QCOMPARE(receiver->exitCode(), 0);
        QVERIFY(!AgentRig::linkExists(m_rig->receiverNs(), QStringLiteral("rxany")));
        verifyPodClean(QStringLiteral("ptap4304"));
    }

    void cleanupTestCase() { m_rig.reset(); }
};

QTEST_GUILESS_MAIN(TestAgentSelfStop)
#include "tst_agent_self_stop.moc"
