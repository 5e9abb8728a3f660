// SPDX-License-Identifier: Apache-2.0
#include "rig_fixture.h"
#include "support/privileged.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace podtap::test;

/// @brief Wireshark's side of podtap on kube-sim's rig: the real tshark 4.0 starts podtap-extcap (installed with
/// `podtapctl extcap install`), which taps a pod through a whole session into tshark's pipe; the file has the
/// marker flow with pod names, and no agent pod is left when the capture ends or the extcap is told to stop.
class TestExtcapRig final : public QObject
{
    Q_OBJECT

private:
    RigFixture m_rig;
    QTemporaryDir m_scratch;

    ProcessResult tshark(const QStringList &args, int timeoutMs = 120000) const
    {
        return m_rig.inNetns(m_rig.workstationNetns(), QStringList {QStringLiteral("tshark")} + args, timeoutMs);
    }

    void verifyNoAgentPod()
    {
        QTRY_VERIFY2_WITH_TIMEOUT(
            m_rig.agentPods().isEmpty(), qPrintable(m_rig.agentPods().join(QLatin1Char(' '))), 30000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QVERIFY(m_scratch.isValid());
        QString error;
        QVERIFY2(m_rig.start(
                     {QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--namespaces"),
                         QStringLiteral("2"), QStringLiteral("--pods"), QStringLiteral("4"), QStringLiteral("--seed"),
                         QStringLiteral("5"), QStringLiteral("--traffic-interval"), QStringLiteral("100")},
                     &error),
            qPrintable(error));
        // HOME is the rig's scratch folder for every client the fixture runs, tshark included.
        const ProcessResult install = m_rig.sim().runWithEnv(
            {builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("extcap"), QStringLiteral("install")},
            30000);
        QVERIFY2(install.ok(), qPrintable(install.describe({QStringLiteral("podtapctl extcap install")})));
        const ProcessResult listed = tshark({QStringLiteral("-D")}, 60000);
        QVERIFY2(listed.out.contains("podtap (Kubernetes pod (podtap))"), listed.out.constData());
    }

    void cleanupTestCase()
    {
        const QStringList left = m_rig.stop();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral("; "))));
    }

    void tsharkCapturesTheMarkerFlowWithPodNames_data()
    {
        QTest::addColumn<QString>("destination");
        QTest::newRow("tunnel to this machine") << QStringLiteral("local");
        QTest::newRow("stream through the API server") << QStringLiteral("api");
    }

    void tsharkCapturesTheMarkerFlowWithPodNames()
    {
        QFETCH(QString, destination);
        const RigFixture::Pod pod = m_rig.podOn();
        // Root's tshark refuses to write into a folder only its owner may enter when it drops to its capture
        // child; a plain file in the scratch folder is enough.
        const QString file = m_scratch.filePath(QStringLiteral("f.pcapng"));
        const ProcessResult capture = tshark({QStringLiteral("-i"), QStringLiteral("podtap"), QStringLiteral("-o"),
            QStringLiteral("extcap.podtap.pod:") + pod.ref(), QStringLiteral("-o"),
            QStringLiteral("extcap.podtap.destination:") + destination, QStringLiteral("-c"), QStringLiteral("10"),
            QStringLiteral("-w"), file});
        QVERIFY2(capture.ok(), qPrintable(capture.describe({QStringLiteral("tshark -i podtap")})));

        const QList<QStringList> packets = RigFixture::packetFields(file,
            {QStringLiteral("ip.src"), QStringLiteral("ip.dst"), QStringLiteral("udp.srcport"),
                QStringLiteral("udp.dstport"), QStringLiteral("frame.interface_name")});
        QCOMPARE(packets.size(), 10);
        QSet<QString> interfaces;
        int marker = 0;
        for (const QStringList &packet : packets) {
            QCOMPARE(packet.size(), 5);
            interfaces.insert(packet[4]);
            if ((packet[0] == pod.ip || packet[1] == pod.ip) &&
                (packet[2] == QLatin1String("9999") || packet[3] == QLatin1String("9999"))) {
                ++marker;
            }
        }
        QVERIFY2(marker >= 2, qPrintable(QStringLiteral("%1 marker packets of %2").arg(marker).arg(packets.size())));
        // One interface, named after the pod.
        QCOMPARE(interfaces, QSet<QString> {pod.ref() + QStringLiteral("/eth0")});
        // Pod names from the file's name records.
        const ProcessResult named = run({QStringLiteral("tshark"), QStringLiteral("-r"), file, QStringLiteral("-N"),
            QStringLiteral("n"), QStringLiteral("-T"), QStringLiteral("fields"), QStringLiteral("-e"),
            QStringLiteral("ip.src_host"), QStringLiteral("-e"), QStringLiteral("ip.dst_host")});
        QVERIFY2(named.out.contains(pod.ref().toUtf8()), named.out.left(2000).constData());
        verifyNoAgentPod();
        QTRY_VERIFY2_WITH_TIMEOUT(m_rig.podtapObjectsIn(pod).isEmpty(),
            qPrintable(m_rig.podtapObjectsIn(pod).join(QStringLiteral("; "))), 20000);
    }

    void captureFilterReachesTheAgent()
    {
        const RigFixture::Pod pod = m_rig.podOn({}, 1);
        const QString file = m_scratch.filePath(QStringLiteral("filtered.pcapng"));
        const ProcessResult capture = tshark({QStringLiteral("-i"), QStringLiteral("podtap"), QStringLiteral("-o"),
            QStringLiteral("extcap.podtap.pod:") + pod.ref(), QStringLiteral("-f"), QStringLiteral("udp dst port 9999"),
            QStringLiteral("-c"), QStringLiteral("6"), QStringLiteral("-w"), file});
        QVERIFY2(capture.ok(), qPrintable(capture.describe({QStringLiteral("tshark -i podtap -f")})));
        const QList<QStringList> packets = RigFixture::packetFields(file, {QStringLiteral("udp.dstport")});
        QCOMPARE(packets.size(), 6);
        for (const QStringList &packet : packets) {
            QCOMPARE(packet.first(), QStringLiteral("9999"));
        }
        verifyNoAgentPod();
    }

    void badFilterIsOneLineInTshark()
    {
        const RigFixture::Pod pod = m_rig.podOn();
        const ProcessResult capture =
            tshark({QStringLiteral("-i"), QStringLiteral("podtap"), QStringLiteral("-o"),
                       QStringLiteral("extcap.podtap.pod:") + pod.ref(), QStringLiteral("-f"),
                       QStringLiteral("udp port eighty"), QStringLiteral("-c"), QStringLiteral("1"),
                       QStringLiteral("-w"), m_scratch.filePath(QStringLiteral("bad.pcapng"))},
                60000);
        QVERIFY(!capture.timedOut);
        const QStringList ours =
            QString::fromUtf8(capture.err).split(QLatin1Char('\n')).filter(QStringLiteral("podtap: "));
        QVERIFY2(ours.size() == 1, capture.err.constData());
        QVERIFY2(ours.first().contains(QLatin1String("eighty")), capture.err.constData());
        QVERIFY(m_rig.agentPods().isEmpty());
    }

    void sigtermLeavesNoAgentPod()
    {
        const RigFixture::Pod pod = m_rig.podOn({}, 2);
        const QString fifo = m_scratch.filePath(QStringLiteral("sigterm.fifo"));
        QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
        const int reader = ::open(QFile::encodeName(fifo).constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        QVERIFY(reader >= 0);
        auto closeReader = qScopeGuard([reader] { ::close(reader); });
        // As Wireshark starts it, in the workstation namespace (`ip netns exec` execs, so the pid is the extcap's).
        QProcess extcap;
        extcap.setProcessEnvironment(m_rig.sim().environment());
        extcap.start(QStringLiteral("ip"),
            {QStringLiteral("netns"), QStringLiteral("exec"), m_rig.workstationNetns(),
                builtExecutable(QStringLiteral("app/extcap/podtap-extcap")), QStringLiteral("--capture"),
                QStringLiteral("--extcap-interface"), QStringLiteral("podtap"), QStringLiteral("--fifo"), fifo,
                QStringLiteral("--pod"), pod.ref()});
        QVERIFY(extcap.waitForStarted(10000));
        // Packets flow: the mirror is up and the agent pod runs.
        QByteArray received;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                char buffer[65536];
                const ssize_t n = ::read(reader, buffer, sizeof buffer);
                if (n > 0) {
                    received.append(buffer, n);
                }
                return received.size() > 2000;
            }(),
            60000);
        QCOMPARE(m_rig.agentPods().size(), 1);
        QVERIFY(!m_rig.podtapObjectsIn(pod).isEmpty());

        ::kill(pid_t(extcap.processId()), SIGTERM);
        QVERIFY(extcap.waitForFinished(60000));
        QCOMPARE(extcap.exitStatus(), QProcess::NormalExit);
        QVERIFY2(extcap.exitCode() == 0, extcap.readAllStandardError().constData());
        // The session deleted its pod before exiting; the API may still show it Terminating for a moment.
        verifyNoAgentPod();
        QTRY_VERIFY2_WITH_TIMEOUT(m_rig.podtapObjectsIn(pod).isEmpty(),
            qPrintable(m_rig.podtapObjectsIn(pod).join(QStringLiteral("; "))), 20000);
    }
};

QTEST_GUILESS_MAIN(TestExtcapRig)
#include "tst_extcap_rig.moc"
