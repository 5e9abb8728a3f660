// SPDX-License-Identifier: Apache-2.0
#include "rig_fixture.h"
#include "support/privileged.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace podtap::test;

/// @brief Whole taps on kube-sim's rig, as an operator runs them: podtapctl in the workstation
/// namespace, real agent pods on the nodes, real VXLAN and a real tshark capture; the
/// kokotap workflow with the real kubectl; refusals with their fix; crash safety; target loss;
/// parallel taps. Each test also checks that nothing is left behind.
class TestPodtapctlRig final : public QObject
{
    Q_OBJECT

private:
    RigFixture m_rig;
    QTemporaryDir m_scratch;
    QString m_nodeA;
    QString m_nodeB;

    QStringList vxlanDevicesIn(const QString &netns) const
    {
        const ProcessResult links = run({QStringLiteral("ip"), QStringLiteral("-n"), netns, QStringLiteral("-o"),
            QStringLiteral("link"), QStringLiteral("show"), QStringLiteral("type"), QStringLiteral("vxlan")});
        return QString::fromUtf8(links.out).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    }

    QStringList linksIn(const QString &netns) const
    {
        const ProcessResult links = run({QStringLiteral("ip"), QStringLiteral("-n"), netns, QStringLiteral("-o"),
            QStringLiteral("link"), QStringLiteral("show")});
        QStringList names;
        for (const QString &line : QString::fromUtf8(links.out).split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            names << line.section(QLatin1Char(':'), 1, 1).trimmed();
        }
        return names;
    }

    // Everything a finished session must not leave: agent pods, devices, filters.
    void verifyNothingLeft(const RigFixture::Pod &pod)
    {
        QTRY_VERIFY2_WITH_TIMEOUT(
            m_rig.agentPods().isEmpty(), qPrintable(m_rig.agentPods().join(QLatin1Char(' '))), 20000);
        QTRY_VERIFY2_WITH_TIMEOUT(m_rig.podtapObjectsIn(pod).isEmpty(),
            qPrintable(m_rig.podtapObjectsIn(pod).join(QStringLiteral("; "))), 10000);
        QTRY_VERIFY2_WITH_TIMEOUT(vxlanDevicesIn(m_rig.workstationNetns()).isEmpty(),
            qPrintable(vxlanDevicesIn(m_rig.workstationNetns()).join(QLatin1Char('\n'))), 10000);
    }

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

    static QString describeProcess(QProcess &process)
    {
        return QStringLiteral("exit %1; stdout: %2; stderr: %3")
            .arg(process.exitCode())
            .arg(QString::fromUtf8(process.readAllStandardOutput()), QString::fromUtf8(process.readAllStandardError()));
    }

    // Starts `podtapctl tap POD --to local-interface --capture none [extra]` and waits until the mirror is installed.
    std::unique_ptr<QProcess> startMirroring(const RigFixture::Pod &pod, const QStringList &extra = {})
    {
        std::unique_ptr<QProcess> tap = m_rig.startPodtapctl(
            QStringList {QStringLiteral("tap"), pod.ref(), QStringLiteral("--to"), QStringLiteral("local-interface"),
                QStringLiteral("--capture"), QStringLiteral("none")} +
            extra);
        waitUntil([&] { return !m_rig.podtapObjectsIn(pod).isEmpty(); }, 60000);
        return tap;
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QString error;
        QVERIFY2(m_rig.start(
                     {QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--namespaces"),
                         QStringLiteral("2"), QStringLiteral("--pods"), QStringLiteral("12"), QStringLiteral("--seed"),
                         QStringLiteral("3"), QStringLiteral("--traffic-interval"), QStringLiteral("100")},
                     &error),
            qPrintable(error));
        m_nodeA = m_rig.nodes().at(0).name;
        m_nodeB = m_rig.nodes().at(1).name;
        QVERIFY2(!m_rig.podOn(m_nodeA, 2).name.isEmpty(), "the tests need three pods on the first node");
        QVERIFY2(!m_rig.podOn(m_nodeB, 0).name.isEmpty(), "the tests need a pod on the second node");
    }

    void cleanupTestCase()
    {
        const QStringList left = m_rig.stop();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral("; "))));
    }

    void tapToLocalInterfaceCapturesThePodsTraffic()
    {
        const RigFixture::Pod pod = m_rig.podOn(m_nodeA, 0);
        const QString file = m_scratch.filePath(QStringLiteral("local.pcapng"));
        const ProcessResult tap = m_rig.podtapctl({QStringLiteral("tap"), pod.ref(), QStringLiteral("--to"),
            QStringLiteral("local-interface"), QStringLiteral("--filter"), QStringLiteral("udp port 9999"),
            QStringLiteral("--capture"), QStringLiteral("tshark"), QStringLiteral("--write"), file,
            QStringLiteral("--count"), QStringLiteral("10")});
        QVERIFY2(tap.ok(), qPrintable(tap.describe({QStringLiteral("podtapctl tap")})));
        // The summary counts what the agent mirrored until it stopped (its `stopped` line), not the
        // last periodic stats: every captured packet was mirrored first.
        const QRegularExpressionMatch summary =
            QRegularExpression(QStringLiteral("mirrored (\\d+) packets, captured (\\d+)"))
                .match(QString::fromUtf8(tap.err));
        QVERIFY2(summary.hasMatch(), tap.err.constData());
        QCOMPARE(summary.captured(2).toInt(), 10);
        QVERIFY2(summary.captured(1).toInt() >= 10, tap.err.constData());
        // The console's own lines name the pod, through the hosts file podtap wrote.
        QVERIFY2(tap.out.contains(pod.ref().toUtf8()), tap.out.constData());

        const QList<QStringList> packets = RigFixture::packetFields(file,
            {QStringLiteral("ip.src"), QStringLiteral("ip.dst"), QStringLiteral("udp.srcport"),
                QStringLiteral("udp.dstport")});
        QCOMPARE(packets.size(), 10);
        for (const QStringList &packet : packets) {
            QCOMPARE(packet.size(), 4);
            QVERIFY2(packet[0] == pod.ip || packet[1] == pod.ip, qPrintable(packet.join(QLatin1Char(' '))));
            QVERIFY2(packet[2] == QLatin1String("9999") || packet[3] == QLatin1String("9999"),
                qPrintable(packet.join(QLatin1Char(' '))));
        }
        verifyNothingLeft(pod);
    }

    // "This machine" is the userspace receiver: an ordinary user taps, nothing is created on the workstation,
    // and the file names the pod and tells the directions apart.
    void tapToLocalAsNobodyWritesPodNamesAndDirections()
    {
        const RigFixture::Pod pod = m_rig.podOn(m_nodeB, 0);
        // A directory and a kubeconfig the unprivileged user (65534) can use.
        QTemporaryDir shared;
        QVERIFY(shared.isValid());
        QVERIFY(QFile::setPermissions(shared.path(),
            QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::WriteGroup |
                QFile::ExeGroup | QFile::ReadOther | QFile::WriteOther | QFile::ExeOther));
        const QString kubeconfig = QDir(shared.path()).filePath(QStringLiteral("kubeconfig"));
        QVERIFY(QFile::copy(m_rig.kubeconfig(), kubeconfig));
        QVERIFY(QFile::setPermissions(kubeconfig, QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther));
        const QString file = QDir(shared.path()).filePath(QStringLiteral("userspace.pcapng"));
        const QStringList linksBefore = linksIn(m_rig.workstationNetns());

        const ProcessResult tap = m_rig.inNetns(m_rig.workstationNetns(),
            {QStringLiteral("setpriv"), QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"),
                QStringLiteral("--clear-groups"), builtExecutable(QStringLiteral("app/cli/podtapctl")),
                QStringLiteral("--kubeconfig"), kubeconfig, QStringLiteral("tap"), pod.ref(), QStringLiteral("--to"),
                QStringLiteral("local"), QStringLiteral("--write"), file, QStringLiteral("--duration"),
                QStringLiteral("4s")},
            120000);
        QVERIFY2(tap.ok(), qPrintable(tap.describe({QStringLiteral("podtapctl tap --to local as nobody")})));
        // The userspace receiver made no interface (the kernel receiver would have made ptap<vni>).
        QCOMPARE(linksIn(m_rig.workstationNetns()), linksBefore);

        // The marker flow, both ways, on the tapped pod's one interface, with the pod's name.
        const QString problem = RigFixture::markerFlowProblem(file, pod);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const ProcessResult info = run({QStringLiteral("capinfos"), QStringLiteral("-I"), file});
        QVERIFY2(info.out.contains("Number of interfaces in file: 1"), info.out.constData());
        verifyNothingLeft(pod);
    }

    void kokotapManifestWithKubectl()
    {
        const RigFixture::Pod pod = m_rig.podOn(m_nodeA, 1);
        const RigFixture::Node receiver = m_rig.node(m_nodeB);
        const ProcessResult manifest = m_rig.podtapctl({QStringLiteral("manifest"), QStringLiteral("--pod=") + pod.name,
            QStringLiteral("--namespace=") + pod.ns, QStringLiteral("--mirrortype=both"),
            QStringLiteral("--dest-node=") + m_nodeB, QStringLiteral("--vxlan-id=4711")});
        QVERIFY2(manifest.ok(), qPrintable(manifest.describe({QStringLiteral("podtapctl manifest")})));
        const QString yaml = m_scratch.filePath(QStringLiteral("kokotap.yaml"));
        QFile file(yaml);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(manifest.out);
        file.close();

        // One-time setup, as for kokotap's users: the namespace the agents run in.
        const ProcessResult namespaceYaml =
            m_rig.podtapctl({QStringLiteral("manifest"), QStringLiteral("--agent-namespace-yaml")});
        QVERIFY2(namespaceYaml.ok(), qPrintable(namespaceYaml.describe({QStringLiteral("podtapctl manifest")})));
        QVERIFY(
            m_rig
                .kubectl({QStringLiteral("apply"), QStringLiteral("-f"), QStringLiteral("-")}, 30000, namespaceYaml.out)
                .ok());

        auto removeOnFailure = qScopeGuard([&] {
            m_rig.kubectl({QStringLiteral("delete"), QStringLiteral("-f"), yaml, QStringLiteral("--wait=true")}, 60000);
        });
        const ProcessResult created = m_rig.kubectl({QStringLiteral("create"), QStringLiteral("-f"), yaml});
        QVERIFY2(created.ok(), qPrintable(created.describe({QStringLiteral("kubectl create -f")})));
        QVERIFY2(waitUntil(
                     [&] {
                         return m_rig
                             .inNetns(receiver.netns,
                                 {QStringLiteral("ip"), QStringLiteral("link"), QStringLiteral("show"),
                                     QStringLiteral("mirror")})
                             .ok();
                     },
                     30000),
            "node B should get the interface `mirror`");
        const ProcessResult capture = m_rig.inNetns(receiver.netns,
            {QStringLiteral("tshark"), QStringLiteral("-n"), QStringLiteral("-i"), QStringLiteral("mirror"),
                // The mirror carries every frame of the pod, ARP included: count its IP traffic only.
                QStringLiteral("-f"), QStringLiteral("ip"), QStringLiteral("-c"), QStringLiteral("6"),
                QStringLiteral("-a"), QStringLiteral("duration:30"), QStringLiteral("-T"), QStringLiteral("fields"),
                QStringLiteral("-e"), QStringLiteral("ip.src"), QStringLiteral("-e"), QStringLiteral("ip.dst")},
            40000);
        QVERIFY2(capture.ok(), qPrintable(capture.describe({QStringLiteral("tshark -i mirror")})));
        const QStringList lines = QString::fromUtf8(capture.out).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 6);
        for (const QString &line : lines) {
            QVERIFY2(line.split(QLatin1Char('\t')).contains(pod.ip), qPrintable(line));
        }

        const ProcessResult deleted =
            m_rig.kubectl({QStringLiteral("delete"), QStringLiteral("-f"), yaml, QStringLiteral("--wait=true")}, 60000);
        QVERIFY2(deleted.ok(), qPrintable(deleted.describe({QStringLiteral("kubectl delete -f")})));
        removeOnFailure.dismiss();
        QVERIFY(
            !m_rig
                 .inNetns(receiver.netns,
                     {QStringLiteral("ip"), QStringLiteral("link"), QStringLiteral("show"), QStringLiteral("mirror")})
                 .ok());
        verifyNothingLeft(pod);
    }

    void refusalsComeWithTheirFix()
    {
        const RigFixture::Pod pod = m_rig.podOn(m_nodeA, 0);
        const auto refuse = [&](const QByteArray &rules) {
            const QString path = m_scratch.filePath(QStringLiteral("rules.json"));
            QFile file(path);
            file.open(QIODevice::WriteOnly);
            file.write(rules);
            file.close();
            return m_rig.kubectl({QStringLiteral("create"), QStringLiteral("--raw"), QStringLiteral("/sim/refusals"),
                QStringLiteral("-f"), path});
        };
        const QStringList tap {QStringLiteral("tap"), pod.ref(), QStringLiteral("--to"), QStringLiteral("local"),
            QStringLiteral("--capture"), QStringLiteral("none"), QStringLiteral("--duration"), QStringLiteral("5s")};

        QVERIFY(refuse("{\"podSecurity\":{\"podtap\":\"baseline\"}}").ok());
        const ProcessResult podSecurity = m_rig.podtapctl(tap);
        QVERIFY2(!podSecurity.ok(), podSecurity.err.constData());
        QVERIFY2(podSecurity.err.contains("kubectl label ns podtap pod-security.kubernetes.io/enforce=privileged"),
            podSecurity.err.constData());

        QVERIFY(refuse("{\"forbid\":[\"create:pods:podtap\"]}").ok());
        const ProcessResult rbac = m_rig.podtapctl(tap);
        QVERIFY2(!rbac.ok(), rbac.err.constData());
        QVERIFY2(rbac.err.contains("kind: Role") && rbac.err.contains("- create") && rbac.err.contains("- pods"),
            rbac.err.constData());

        QVERIFY(refuse("{}").ok());
        verifyNothingLeft(pod);
    }

    void killedConsoleLapsesAndSweepRemovesThePods()
    {
        const RigFixture::Pod pod = m_rig.podOn(m_nodeA, 1);
        std::unique_ptr<QProcess> tap =
            startMirroring(pod, {QStringLiteral("--heartbeat-timeout"), QStringLiteral("6")});
        QVERIFY2(!m_rig.podtapObjectsIn(pod).isEmpty(), qPrintable(describeProcess(*tap)));
        const QStringList pods = m_rig.agentPods();
        QCOMPARE(pods.size(), 1);
        // Keep the mirror a while past one heartbeat timeout: the heartbeats keep it alive.
        QTest::qWait(8000);
        QVERIFY2(!m_rig.podtapObjectsIn(pod).isEmpty(), "a live console's heartbeats should keep the mirror");

        ::kill(pid_t(tap->processId()), SIGKILL);
        tap->waitForFinished(5000);
        // The agent notices the missing heartbeats and removes the mirror by itself.
        QVERIFY2(waitUntil([&] { return m_rig.podtapObjectsIn(pod).isEmpty(); }, 30000),
            qPrintable(m_rig.podtapObjectsIn(pod).join(QStringLiteral("; "))));
        const ProcessResult logs =
            m_rig.kubectl({QStringLiteral("logs"), QStringLiteral("-n"), QStringLiteral("podtap"), pods.first()});
        QVERIFY2(logs.out.contains("\"reason\":\"heartbeat\""), logs.out.constData());
        // The local receiver died with its parent.
        QTRY_VERIFY_WITH_TIMEOUT(vxlanDevicesIn(m_rig.workstationNetns()).isEmpty(), 10000);

        QCOMPARE(m_rig.agentPods(), pods);
        const ProcessResult sweep =
            m_rig.podtapctl({QStringLiteral("sweep"), QStringLiteral("--heartbeat-timeout"), QStringLiteral("6")});
        QVERIFY2(sweep.ok(), qPrintable(sweep.describe({QStringLiteral("podtapctl sweep")})));
        QVERIFY2(sweep.out.contains(pods.first().toUtf8()) || sweep.err.contains(pods.first().toUtf8()),
            (sweep.out + sweep.err).constData());
        verifyNothingLeft(pod);
    }

    void deletingTheTargetEndsTheSession()
    {
        const RigFixture::Pod pod = m_rig.podOn(m_nodeA, 2);
        std::unique_ptr<QProcess> tap = startMirroring(pod);
        QVERIFY2(!m_rig.podtapObjectsIn(pod).isEmpty(), qPrintable(describeProcess(*tap)));
        const ProcessResult deleted = m_rig.kubectl({QStringLiteral("delete"), QStringLiteral("pod"),
            QStringLiteral("-n"), pod.ns, pod.name, QStringLiteral("--grace-period=1")});
        QVERIFY2(deleted.ok(), qPrintable(deleted.describe({QStringLiteral("kubectl delete")})));
        QVERIFY2(tap->waitForFinished(60000), "podtapctl should end when its target is gone");
        const QByteArray err = tap->readAllStandardError();
        QVERIFY2(err.contains("target gone"), err.constData());
        QVERIFY2(m_rig.agentPods().isEmpty() || waitUntil([&] { return m_rig.agentPods().isEmpty(); }, 20000),
            qPrintable(m_rig.agentPods().join(QLatin1Char(' '))));
        QTRY_VERIFY_WITH_TIMEOUT(vxlanDevicesIn(m_rig.workstationNetns()).isEmpty(), 10000);
    }

    void listAndStopFromAnotherShell()
    {
        const RigFixture::Pod pod = m_rig.podOn(m_nodeB, 0);
        std::unique_ptr<QProcess> tap = startMirroring(pod);
        QVERIFY2(!m_rig.podtapObjectsIn(pod).isEmpty(), qPrintable(describeProcess(*tap)));
        const ProcessResult list = m_rig.podtapctl({QStringLiteral("list")});
        QVERIFY2(list.ok(), qPrintable(list.describe({QStringLiteral("podtapctl list")})));
        QVERIFY2(list.out.contains(pod.ref().toUtf8()) && list.out.contains(m_nodeB.toUtf8()), list.out.constData());

        const ProcessResult stop = m_rig.podtapctl({QStringLiteral("stop"), QStringLiteral("--all")});
        QVERIFY2(stop.ok(), qPrintable(stop.describe({QStringLiteral("podtapctl stop --all")})));
        // The tapping console sees its agent go and ends by itself.
        QVERIFY2(tap->waitForFinished(60000), "podtapctl tap should end when its session is stopped elsewhere");
        const QByteArray err = tap->readAllStandardError();
        verifyNothingLeft(pod);
        QVERIFY2(err.contains("Stopped") || err.contains("stopped"), err.constData());
    }

    void twoParallelTapsOnOneNodeBothCapture()
    {
        const RigFixture::Pod first = m_rig.podOn(m_nodeA, 0);
        const RigFixture::Pod second = m_rig.podOn(m_nodeA, 1);
        const QString firstFile = m_scratch.filePath(QStringLiteral("first.pcapng"));
        const QString secondFile = m_scratch.filePath(QStringLiteral("second.pcapng"));
        const auto args = [](const RigFixture::Pod &pod, const QString &file) {
            return QStringList {QStringLiteral("tap"), pod.ref(), QStringLiteral("--to"),
                QStringLiteral("local-interface"), QStringLiteral("--filter"), QStringLiteral("udp port 9999"),
                QStringLiteral("--capture"), QStringLiteral("tshark"), QStringLiteral("--write"), file,
                QStringLiteral("--count"), QStringLiteral("6")};
        };
        std::unique_ptr<QProcess> a = m_rig.startPodtapctl(args(first, firstFile));
        std::unique_ptr<QProcess> b = m_rig.startPodtapctl(args(second, secondFile));
        QVERIFY2(a->waitForFinished(120000) && a->exitCode() == 0, qPrintable(describeProcess(*a)));
        QVERIFY2(b->waitForFinished(120000) && b->exitCode() == 0, qPrintable(describeProcess(*b)));
        for (const auto &[pod, file] : {std::pair {first, firstFile}, std::pair {second, secondFile}}) {
            const QList<QStringList> packets =
                RigFixture::packetFields(file, {QStringLiteral("ip.src"), QStringLiteral("ip.dst")});
            QCOMPARE(packets.size(), 6);
            for (const QStringList &packet : packets) {
                QVERIFY2(packet.contains(pod.ip),
                    qPrintable(pod.ref() + QStringLiteral(": ") + packet.join(QLatin1Char(' '))));
            }
            verifyNothingLeft(pod);
        }
    }
};

QTEST_GUILESS_MAIN(TestPodtapctlRig)
#include "tst_podtapctl_rig.moc"
