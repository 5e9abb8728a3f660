// SPDX-License-Identifier: Apache-2.0
#include "capture/capture_command.h"
#include "capture/capture_process.h"
#include "capture/capture_tools.h"
#include "capture/pod_hosts_file.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace podtap;
using namespace podtap::test;

/// @brief A real tshark capture, started and stopped by CaptureProcess, shows pod names from the
/// hosts file podtap writes, counts packets, and leaves a readable pcapng file.
///
/// The capture interface is one end of a veth pair in a network namespace this test creates;
/// pings towards a documentation address (with a static neighbour entry) cross it.
class TestTsharkPodNames final : public QObject
{
    Q_OBJECT

private:
    QString m_netns;
    QProcess m_ping;
    CaptureTools m_tools;
    QList<PodAddress> m_pods {{QStringLiteral("192.0.2.9"), QStringLiteral("shop"), QStringLiteral("cart-0")}};

    // Runs the capture command inside the test's netns.
    CaptureCommand inNetns(CaptureCommand command) const
    {
        command.arguments.prepend(command.program);
        command.arguments = QStringList {QStringLiteral("netns"), QStringLiteral("exec"), m_netns} + command.arguments;
        command.program = QStringLiteral("ip");
        return command;
    }

    static qint64 packetsIn(const QString &file)
    {
        const ProcessResult read = run({QStringLiteral("tshark"), QStringLiteral("-r"), file});
        return read.ok() ? read.out.count('\n') : -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        m_tools = findCaptureTools();
        if (m_tools.tshark.isEmpty()) {
            QSKIP("tshark is not installed (scripts/install-deps.sh test installs it)");
        }
        m_netns = QStringLiteral("ptcap%1").arg(getpid());
        mustRun({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("add"), m_netns});
        // No IPv6 in the namespace: link-local MLD reports would otherwise race the pings into the capture.
        mustRun({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"), m_netns,
            QStringLiteral("sysctl"), QStringLiteral("-qw"), QStringLiteral("net.ipv6.conf.all.disable_ipv6=1"),
            QStringLiteral("net.ipv6.conf.default.disable_ipv6=1")});
        const QStringList ip {QStringLiteral("ip"), QStringLiteral("-n"), m_netns};
        mustRun(ip + QStringLiteral("link add ptva type veth peer name ptvb").split(QLatin1Char(' ')));
        mustRun(ip + QStringLiteral("addr add 192.0.2.1/24 dev ptva").split(QLatin1Char(' ')));
        mustRun(ip + QStringLiteral("link set ptva up").split(QLatin1Char(' ')));
        mustRun(ip + QStringLiteral("link set ptvb up").split(QLatin1Char(' ')));
        mustRun(ip + QStringLiteral("neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev ptva").split(QLatin1Char(' ')));
        m_ping.start(QStringLiteral("ip"),
            {QStringLiteral("netns"), QStringLiteral("exec"), m_netns, QStringLiteral("ping"), QStringLiteral("-q"),
                QStringLiteral("-i"), QStringLiteral("0.1"), QStringLiteral("-w"), QStringLiteral("240"),
                QStringLiteral("192.0.2.9")});
        QVERIFY2(m_ping.waitForStarted(5000), qPrintable(m_ping.errorString()));
    }

    void cleanupTestCase()
    {
        if (m_ping.state() != QProcess::NotRunning) {
            m_ping.kill();
            m_ping.waitForFinished(5000);
        }
        if (!m_netns.isEmpty()) {
            run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), m_netns});
        }
    }

    void tsharkShowsPodNamesAndWritesPcapng()
    {
        QTemporaryDir dir;
        const QString hosts = dir.filePath(QStringLiteral("hosts"));
        QString error;
        QVERIFY2(writePodHostsFile(hosts, m_pods, &error), qPrintable(error));
        CaptureOptions options;
        options.tool = CaptureTool::Tshark;
        options.interfaceName = QStringLiteral("ptvb");
        options.hostsFile = hosts;
        options.outputFile = dir.filePath(QStringLiteral("tap.pcapng"));
        options.packetCount = 5;
        const CaptureCommand command = buildCaptureCommand(options, m_tools);
        QVERIFY2(command.ok(), qPrintable(command.error));

        CaptureProcess capture;
        QStringList lines;
        connect(&capture, &CaptureProcess::lineReceived, this, [&](const QString &line) { lines << line; });
        QSignalSpy finished(&capture, &CaptureProcess::finished);
        QSignalSpy counted(&capture, &CaptureProcess::packetCountChanged);
        capture.start(inNetns(command));
        QVERIFY2(finished.wait(60000), qPrintable(capture.diagnostics().join(QLatin1Char('\n'))));
        QCOMPARE(finished.first().at(0).toBool(), true);
        QCOMPARE(capture.packetCount(), 5);
        QVERIFY(!counted.isEmpty());
        QCOMPARE(counted.last().at(0).toLongLong(), 5);
        QCOMPARE(lines.size(), 5);
        // "192.0.2.1 → shop/cart-0": the destination is shown by its pod name.
        static const QRegularExpression named(QStringLiteral("192\\.0\\.2\\.1\\s+\\S+\\s+shop/cart-0\\s"));
        QVERIFY2(named.match(lines.first()).hasMatch(), qPrintable(lines.join(QLatin1Char('\n'))));

        QFile pcap(options.outputFile);
        QVERIFY(pcap.open(QIODevice::ReadOnly));
        QCOMPARE(pcap.read(4), QByteArray("\x0a\x0d\x0d\x0a", 4)); // pcapng section header block
        QCOMPARE(packetsIn(options.outputFile), 5);
    }

    void wiresharkProfileHostsFileIsHonoured()
    {
        // What `wireshark -C podtap -N n` reads, checked with tshark: same profile code, no display needed.
        QTemporaryDir config;
        QString error;
        QVERIFY2(!writeWiresharkProfile(config.path(), m_pods, &error).isEmpty(), qPrintable(error));
        qputenv("WIRESHARK_CONFIG_DIR", config.path().toLocal8Bit());
        const QStringList command {QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"), m_netns,
            m_tools.tshark, QStringLiteral("-i"), QStringLiteral("ptvb"), QStringLiteral("-l"), QStringLiteral("-N"),
            QStringLiteral("n"), QStringLiteral("-C"), QStringLiteral("podtap"), QStringLiteral("-c"),
            QStringLiteral("2"), QStringLiteral("-f"), QStringLiteral("icmp")};
        const ProcessResult result = run(command, 60000);
        qunsetenv("WIRESHARK_CONFIG_DIR");
        QVERIFY2(result.ok(), qPrintable(result.describe(command)));
        QVERIFY2(result.out.contains("shop/cart-0"), result.out.constData());

        // Control: the same capture without the profile shows only the address.
        QStringList plain = command;
        plain.remove(plain.indexOf(QStringLiteral("-C")), 2);
        const ProcessResult without = run(plain, 60000);
        QVERIFY2(without.ok(), qPrintable(without.describe(plain)));
        QVERIFY2(!without.out.contains("shop/cart-0") && without.out.contains("192.0.2.9"), without.out.constData());
    }

    void stopEndsTheCaptureCleanly()
    {
        QTemporaryDir dir;
        CaptureOptions options;
        options.tool = CaptureTool::Tshark;
        options.interfaceName = QStringLiteral("ptvb");
        options.outputFile = dir.filePath(QStringLiteral("stopped.pcapng"));
        CaptureProcess capture;
        QSignalSpy counted(&capture, &CaptureProcess::packetCountChanged);
        QSignalSpy finished(&capture, &CaptureProcess::finished);
        QSignalSpy failed(&capture, &CaptureProcess::failed);
        capture.start(inNetns(buildCaptureCommand(options, m_tools)));
        QVERIFY2(counted.wait(60000), qPrintable(capture.diagnostics().join(QLatin1Char('\n'))));
        QVERIFY(capture.isRunning());
        capture.stop();
        QVERIFY(finished.wait(15000));
        QCOMPARE(finished.first().at(0).toBool(), true);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(0).toString()));
        QVERIFY(!capture.isRunning());
        // SIGTERM let tshark finish the file: every packet it counted is in it.
        QVERIFY(packetsIn(options.outputFile) >= capture.packetCount());
        QVERIFY(capture.packetCount() >= 1);
    }

    void missingProgramFailsWithAReason()
    {
        CaptureProcess capture;
        QSignalSpy failed(&capture, &CaptureProcess::failed);
        QSignalSpy finished(&capture, &CaptureProcess::finished);
        capture.start(
            CaptureCommand {QStringLiteral("/nonexistent/tshark"), {QStringLiteral("-i"), QStringLiteral("x")}, {}});
        QVERIFY(finished.wait(10000));
        QVERIFY(!failed.isEmpty());
        QVERIFY2(failed.first().at(0).toString().contains(QLatin1String("cannot start /nonexistent/tshark")),
            qPrintable(failed.first().at(0).toString()));
    }
};

QTEST_GUILESS_MAIN(TestTsharkPodNames)
#include "tst_tshark_pod_names.moc"
