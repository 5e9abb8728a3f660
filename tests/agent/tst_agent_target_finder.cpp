// SPDX-License-Identifier: Apache-2.0
#include "bpf_program.h"
#include "heartbeat_file.h"
#include "target_finder.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using podtap::agent::BpfProgram;
using podtap::agent::HeartbeatFile;
using podtap::agent::TargetFinder;
using podtap::agent::TargetSelector;

namespace {

const std::string kId = "4f0c6b1e9d2a7c3b8e5f1a0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b";
const std::string kUid = "3f1c2a9e-5b7d-4c1e-9a2b-0c4d6e8f1a3b";

} // namespace

/// @brief Target discovery finds a container's processes in every runtime's cgroup layout.
class TestAgentTargetFinder final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_root;

    void writeProc(int pid, const QByteArray &cgroup)
    {
        QVERIFY(QDir().mkpath(m_root.filePath(QString::number(pid))));
        QFile file(m_root.filePath(QStringLiteral("%1/cgroup").arg(pid)));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(cgroup);
    }

private Q_SLOTS:
    void findsContainerInEveryLayout_data()
    {
        QTest::addColumn<QByteArray>("cgroup");
        const QByteArray id = QByteArray::fromStdString(kId);
        const QByteArray uidU = QByteArray::fromStdString(kUid).replace('-', '_');
        const QByteArray uid = QByteArray::fromStdString(kUid);
        QTest::newRow("containerd systemd v2")
            << "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidU +
                ".slice/cri-containerd-" + id + ".scope\n";
        QTest::newRow("containerd cgroupfs v1") << "12:pids:/kubepods/besteffort/pod" + uid + "/" + id +
                "\n11:memory:/kubepods/besteffort/pod" + uid + "/" + id + "\n1:name=systemd:/kubepods/besteffort/pod" +
                uid + "/" + id + "\n";
        QTest::newRow("containerd cgroupfs v2") << "0::/kubepods/burstable/pod" + uid + "/" + id + "\n";
        QTest::newRow("cri-o systemd v2") << "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                uidU + ".slice/crio-" + id + ".scope\n";
        QTest::newRow("cri-o systemd v1") << "4:memory:/kubepods.slice/kubepods-pod" + uidU + ".slice/crio-" + id +
                ".scope\n1:name=systemd:/kubepods.slice/kubepods-pod" + uidU + ".slice/crio-" + id + ".scope\n";
        QTest::newRow("docker systemd") << "0::/kubepods.slice/kubepods-pod" + uidU + ".slice/docker-" + id +
                ".scope\n";
        QTest::newRow("docker cgroupfs") << "9:cpu,cpuacct:/docker/" + id + "\n";
        QTest::newRow("cri-dockerd cgroupfs") << "0::/kubepods/pod" + uid + "/" + id + "\n";
        QTest::newRow("nested under a kind node") << "0::/system.slice/containerd.service/kubepods-besteffort-pod" +
                uidU + ".slice:cri-containerd:" + id + "\n0::/kubepods/besteffort/pod" + uid + "/" + id + "\n";
    }

    void findsContainerInEveryLayout()
    {
        QFETCH(QByteArray, cgroup);
        const std::string text = cgroup.toStdString();
        QVERIFY(TargetFinder::cgroupNamesContainer(text, kId));
        QVERIFY(!TargetFinder::cgroupNamesContainer(text, kId.substr(0, 12)));
        QVERIFY(!TargetFinder::cgroupNamesContainer(text, "0" + kId.substr(1)));
        const bool podInPath = !cgroup.contains("/docker/");
        QCOMPARE(TargetFinder::cgroupNamesPod(text, kUid), podInPath);
    }

    void ignoresConmonAndOtherPods()
    {
        const std::string conmon = "0::/kubepods.slice/kubepods-pod1.slice/crio-conmon-" + kId + ".scope\n";
        QVERIFY(!TargetFinder::cgroupNamesContainer(conmon, kId));
        QVERIFY(!TargetFinder::cgroupNamesPod("0::/kubepods/pod" + kUid + "0/x\n", kUid));
        QVERIFY(!TargetFinder::cgroupNamesPod("0::/kubepods/xpod" + kUid + "/x\n", kUid));
        QVERIFY(!TargetFinder::cgroupNamesContainer("garbage without colons\n", kId));
        QVERIFY(!TargetFinder::cgroupNamesContainer("", kId));
    }

    void stripsRuntimePrefixes()
    {
        QCOMPARE(TargetFinder::normalizeContainerId("containerd://" + kId), kId);
        QCOMPARE(TargetFinder::normalizeContainerId("cri-o://" + kId), kId);
        QCOMPARE(TargetFinder::normalizeContainerId("docker://" + kId), kId);
        QCOMPARE(TargetFinder::normalizeContainerId(kId), kId);
    }

    void scansFakeProcTree()
    {
        const QByteArray id = QByteArray::fromStdString(kId);
        writeProc(1, "0::/init.scope\n");
        writeProc(300,
            "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                QByteArray::fromStdString(kUid).replace('-', '_') + ".slice/cri-containerd-" + id + ".scope\n");
        writeProc(301,
            "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                QByteArray::fromStdString(kUid).replace('-', '_') + ".slice/cri-containerd-" + QByteArray(64, 'e') +
                ".scope\n");
        writeProc(302, "0::/kubepods/besteffort/pod" + QByteArray::fromStdString(kUid) + "/" + id + "\n");
        QVERIFY(QDir().mkpath(m_root.filePath(QStringLiteral("self"))));
        // A numeric name too large for a pid is not a process (and must not stop the scan).
        QVERIFY(QDir().mkpath(m_root.filePath(QStringLiteral("99999999999999999999"))));
        const TargetFinder finder(m_root.path().toStdString());
        const std::vector<int> byId = finder.matchingPids({TargetSelector::Kind::ContainerId, kId});
        QCOMPARE(byId, (std::vector<int> {300, 302}));
        const std::vector<int> byUid = finder.matchingPids({TargetSelector::Kind::PodUid, kUid});
        QCOMPARE(byUid, (std::vector<int> {300, 301, 302}));
        QVERIFY(finder.matchingPids({TargetSelector::Kind::ContainerId, "ffff"}).empty());
    }

    void parsesHeartbeatAnnotations()
    {
        const std::string file = "kubernetes.io/config.seen=\"x\"\npodtap.io/heartbeat=\"2026-11-27T06:00:00Z\"\n"
                                 "podtap.io/session=\"s1\"\n";
        QCOMPARE(
            HeartbeatFile::annotation(file, "podtap.io/heartbeat").value_or(""), std::string("2026-11-27T06:00:00Z"));
        QVERIFY(!HeartbeatFile::annotation(file, "podtap.io/missing"));
        // Any string is a heartbeat: its value is only compared with the previous one.
        QCOMPARE(HeartbeatFile::annotation("podtap.io/heartbeat=\"17\"\n", "podtap.io/heartbeat").value_or(""),
            std::string("17"));
    }

    void parsesTcpdumpBytecode()
    {
        BpfProgram program;
        std::string error;
        QVERIFY(BpfProgram::parse("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n", program, error));
        QCOMPARE(program.instructions.size(), std::size_t(4));
        QCOMPARE(program.instructions[1].code, 21);
        QCOMPARE(program.instructions[1].jf, 1);
        QCOMPARE(program.instructions[2].k, 262144u);
        QVERIFY(BpfProgram::parse("1,6 0 0 0", program, error));
        QVERIFY(!BpfProgram::parse("0\n", program, error));
        QVERIFY(!BpfProgram::parse("1\n6 0 0\n", program, error));
        QVERIFY(!BpfProgram::parse("1\n6 0 0 -1\n", program, error));
        QVERIFY(!BpfProgram::parse("1\n6 0 0 4294967296\n", program, error));
    }
};

QTEST_GUILESS_MAIN(TestAgentTargetFinder)
#include "tst_agent_target_finder.moc"
