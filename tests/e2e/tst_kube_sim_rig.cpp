// SPDX-License-Identifier: Apache-2.0
#include "rig_fixture.h"
#include "support/privileged.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTest>

#include <csignal>

using namespace podtap::test;

/// @brief kube-sim's rig, checked from outside with the real kubectl, /proc, tc and tshark: pods
/// are processes in runtime-shaped cgroups that make traffic, agent pods run the built agent with
/// their volumes, deletion stops processes, and nothing outlives the rig, even a killed one.
class TestKubeSimRig final : public QObject
{
    Q_OBJECT

private:
    RigFixture m_rig;

    static QString statusContainerId(const QJsonObject &pod)
    {
        return pod[QStringLiteral("status")][QStringLiteral("containerStatuses")][0][QStringLiteral("containerID")]
            .toString();
    }

    // The cgroup files of every process in @p netns.
    static QStringList cgroupsIn(const QString &netns)
    {
        QStringList files;
        const ProcessResult pids = run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("pids"), netns});
        for (const QByteArray &pid : pids.out.split('\n')) {
            QFile file(QStringLiteral("/proc/%1/cgroup").arg(QString::fromUtf8(pid.trimmed())));
            if (!pid.trimmed().isEmpty() && file.open(QIODevice::ReadOnly)) {
                files << QString::fromUtf8(file.readAll());
            }
        }
        return files;
    }

    bool waitForPodPhase(const QString &ns, const QString &name, const QString &phase, int timeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            const QJsonObject pod = m_rig.getJson({QStringLiteral("pod"), QStringLiteral("-n"), ns, name});
            if (pod[QStringLiteral("status")][QStringLiteral("phase")].toString() == phase) {
                return true;
            }
            QTest::qWait(200);
        }
        return false;
    }

    // An agent pod (podtap's image) on @p node, with optional volumes, their mounts and annotations.
    static QByteArray agentPodJson(const QString &name, const QString &node, const QString &restartPolicy,
        int activeDeadlineSeconds, const QStringList &args, const QJsonArray &volumes = {},
        const QJsonArray &mounts = {}, const QJsonObject &annotations = {})
    {
        QJsonObject spec {
            {QStringLiteral("nodeName"), node},
            {QStringLiteral("hostNetwork"), true},
            {QStringLiteral("hostPID"), true},
            {QStringLiteral("restartPolicy"), restartPolicy},
            {QStringLiteral("containers"),
                QJsonArray {QJsonObject {
                    {QStringLiteral("name"), QStringLiteral("agent")},
                    {QStringLiteral("image"), QStringLiteral("ghcr.io/podtap/podtap-agent:latest")},
                    {QStringLiteral("args"), QJsonArray::fromStringList(args)},
                    {QStringLiteral("volumeMounts"), mounts},
                }}},
            {QStringLiteral("volumes"), volumes},
            {QStringLiteral("terminationGracePeriodSeconds"), 5},
        };
        if (activeDeadlineSeconds > 0) {
            spec.insert(QStringLiteral("activeDeadlineSeconds"), activeDeadlineSeconds);
        }
        return QJsonDocument(QJsonObject {
                                 {QStringLiteral("apiVersion"), QStringLiteral("v1")},
                                 {QStringLiteral("kind"), QStringLiteral("Pod")},
                                 {QStringLiteral("metadata"),
                                     QJsonObject {{QStringLiteral("name"), name},
                                         {QStringLiteral("namespace"), QStringLiteral("default")},
                                         {QStringLiteral("annotations"), annotations}}},
                                 {QStringLiteral("spec"), spec},
                             })
            .toJson();
    }

    static QJsonObject mount(const QString &name, const QString &path)
    {
        return QJsonObject {
            {QStringLiteral("name"), name}, {QStringLiteral("mountPath"), path}, {QStringLiteral("readOnly"), true}};
    }

    static QJsonObject annotationsVolume(const QString &name)
    {
        const QJsonObject item {{QStringLiteral("path"), QStringLiteral("annotations")},
            {QStringLiteral("fieldRef"),
                QJsonObject {{QStringLiteral("fieldPath"), QStringLiteral("metadata.annotations")}}}};
        return QJsonObject {{QStringLiteral("name"), name},
            {QStringLiteral("downwardAPI"), QJsonObject {{QStringLiteral("items"), QJsonArray {item}}}}};
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QString error;
        QVERIFY2(m_rig.start({QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--namespaces"),
                                 QStringLiteral("2"), QStringLiteral("--pods"), QStringLiteral("8"),
                                 QStringLiteral("--seed"), QStringLiteral("7")},
                     &error),
            qPrintable(error));
        QVERIFY2(m_rig.pods().size() >= 3, "the rig should run at least three pods");
    }

    void cleanupTestCase()
    {
        const QStringList left = m_rig.stop();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral("; "))));
    }

    void podsRunInRuntimeShapedCgroups()
    {
        QSet<QString> runtimes;
        for (const RigFixture::Pod &pod : m_rig.pods()) {
            const QJsonObject object = m_rig.getJson({QStringLiteral("pod"), QStringLiteral("-n"), pod.ns, pod.name});
            QCOMPARE(object[QStringLiteral("status")][QStringLiteral("podIP")].toString(), pod.ip);
            const QString containerId = statusContainerId(object);
            const QString uid = object[QStringLiteral("metadata")][QStringLiteral("uid")].toString();
            const qsizetype scheme = containerId.indexOf(QStringLiteral("://"));
            QVERIFY2(scheme > 0, qPrintable(containerId));
            const QString runtime = containerId.left(scheme);
            const QString id = containerId.mid(scheme + 3);
            const QString expected = runtime == QLatin1String("containerd")
                ? QStringLiteral("/kubepods/besteffort/pod%1/%2\n").arg(uid, id)
                : QStringLiteral("/kubepods-besteffort-pod%1.slice/crio-%2.scope\n")
                      .arg(QString(uid).replace(QLatin1Char('-'), QLatin1Char('_')), id);
            const QStringList cgroups = cgroupsIn(pod.netns);
            const bool found = std::any_of(
                cgroups.begin(), cgroups.end(), [&](const QString &cgroup) { return cgroup.contains(expected); });
            QVERIFY2(found,
                qPrintable(QStringLiteral("%1: no process in %2 sits in ...%3; cgroups: %4")
                               .arg(pod.ref(), pod.netns, expected.trimmed(), cgroups.join(QLatin1Char('|')))));
            runtimes << runtime;
        }
        QCOMPARE(runtimes, (QSet<QString> {QStringLiteral("containerd"), QStringLiteral("cri-o")}));
    }

    void podsExchangeTrafficAcrossNodes()
    {
        const RigFixture::Pod pod = m_rig.pods().first();
        const ProcessResult capture = m_rig.inNetns(pod.netns,
            {QStringLiteral("tshark"), QStringLiteral("-i"), QStringLiteral("eth0"), QStringLiteral("-n"),
                QStringLiteral("-c"), QStringLiteral("8"), QStringLiteral("-f"), QStringLiteral("udp port 9999"),
                QStringLiteral("-T"), QStringLiteral("fields"), QStringLiteral("-e"), QStringLiteral("ip.src"),
                QStringLiteral("-e"), QStringLiteral("ip.dst")},
            30000);
        QVERIFY2(capture.ok(), qPrintable(capture.describe({QStringLiteral("tshark")})));
        const QStringList lines = QString::fromUtf8(capture.out).trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 8);
        bool sent = false;
        bool received = false;
        for (const QString &line : lines) {
            const QStringList fields = line.split(QLatin1Char('\t'));
            QCOMPARE(fields.size(), 2);
            sent = sent || fields[0] == pod.ip;
            received = received || fields[1] == pod.ip;
        }
        QVERIFY2(sent && received, qPrintable(lines.join(QLatin1Char('\n'))));
    }

    void agentPodRunsTheBuiltAgentWithHostVolumes()
    {
        const RigFixture::Pod target = m_rig.pods().first();
        const QJsonObject object = m_rig.getJson({QStringLiteral("pod"), QStringLiteral("-n"), target.ns, target.name});
        const QJsonArray volumes {
            QJsonObject {{QStringLiteral("name"), QStringLiteral("proc")},
                {QStringLiteral("hostPath"), QJsonObject {{QStringLiteral("path"), QStringLiteral("/proc")}}}},
            annotationsVolume(QStringLiteral("podinfo"))};
        const QJsonArray mounts {mount(QStringLiteral("proc"), QStringLiteral("/host/proc")),
            mount(QStringLiteral("podinfo"), QStringLiteral("/etc/podinfo"))};
        const ProcessResult created =
            m_rig.kubectl({QStringLiteral("create"), QStringLiteral("-f"), QStringLiteral("-")}, 30000,
                agentPodJson(QStringLiteral("inspect-agent"), target.node, QStringLiteral("Never"), 0,
                    {QStringLiteral("inspect"), QStringLiteral("--container-id"), statusContainerId(object),
                        QStringLiteral("--proc-root"), QStringLiteral("/host/proc")},
                    volumes, mounts));
        QVERIFY2(created.ok(), qPrintable(created.describe({QStringLiteral("kubectl create")})));
        QVERIFY2(waitForPodPhase(
                     QStringLiteral("default"), QStringLiteral("inspect-agent"), QStringLiteral("Succeeded"), 30000),
            "the inspect agent pod should run to completion");
        const ProcessResult logs = m_rig.kubectl(
            {QStringLiteral("logs"), QStringLiteral("-n"), QStringLiteral("default"), QStringLiteral("inspect-agent")});
        QVERIFY2(logs.ok(), qPrintable(logs.describe({QStringLiteral("kubectl logs")})));
        // The agent found the pod through /host/proc and the cgroup, and saw the pod's eth0.
        const ProcessResult mac =
            m_rig.inNetns(target.netns, {QStringLiteral("cat"), QStringLiteral("/sys/class/net/eth0/address")});
        QVERIFY(mac.ok());
        QVERIFY2(logs.out.contains(mac.out.trimmed()), logs.out.constData());
        QVERIFY2(logs.out.contains("\"mtu\":1450"), logs.out.constData());
    }

    void downwardApiFileFollowsAnnotations()
    {
        const RigFixture::Pod target = m_rig.pods().first();
        const ProcessResult created =
            m_rig.kubectl({QStringLiteral("create"), QStringLiteral("-f"), QStringLiteral("-")}, 30000,
                agentPodJson(QStringLiteral("receive-agent"), target.node, QStringLiteral("Never"), 0,
                    {QStringLiteral("receive"), QStringLiteral("--vni"), QStringLiteral("4242"),
                        QStringLiteral("--name"), QStringLiteral("rigtest0")},
                    {annotationsVolume(QStringLiteral("podinfo"))},
                    {mount(QStringLiteral("podinfo"), QStringLiteral("/etc/podtap"))},
                    {{QStringLiteral("podtap.io/heartbeat"), QStringLiteral("2026-01-01T00:00:00Z")}}));
        QVERIFY2(created.ok(), qPrintable(created.describe({QStringLiteral("kubectl create")})));
        QVERIFY(waitForPodPhase(
            QStringLiteral("default"), QStringLiteral("receive-agent"), QStringLiteral("Running"), 30000));
        const QString uid = m_rig
                                .getJson({QStringLiteral("pod"), QStringLiteral("-n"), QStringLiteral("default"),
                                    QStringLiteral("receive-agent")})[QStringLiteral("metadata")][QStringLiteral("uid")]
                                .toString();
        const QString file =
            QStringLiteral("/run/podtap-sim/%1/pods/%2/volumes/podinfo/annotations").arg(m_rig.sim().pid()).arg(uid);
        const auto contents = [&] {
            QFile f(file);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        };
        QCOMPARE(contents(), QByteArray("podtap.io/heartbeat=\"2026-01-01T00:00:00Z\""));
        // The receiver made its device in the node's namespace, not on this machine.
        const RigFixture::Node node = m_rig.node(target.node);
        QTRY_VERIFY_WITH_TIMEOUT(
            m_rig
                .inNetns(node.netns,
                    {QStringLiteral("ip"), QStringLiteral("link"), QStringLiteral("show"), QStringLiteral("rigtest0")})
                .ok(),
            10000);

        const ProcessResult annotated = m_rig.kubectl({QStringLiteral("annotate"), QStringLiteral("--overwrite"),
            QStringLiteral("-n"), QStringLiteral("default"), QStringLiteral("pod/receive-agent"),
            QStringLiteral("podtap.io/heartbeat=2026-11-27T10:00:00Z"), QStringLiteral("zz=a \"quoted\" value")});
        QVERIFY2(annotated.ok(), qPrintable(annotated.describe({QStringLiteral("kubectl annotate")})));
        QTRY_COMPARE_WITH_TIMEOUT(contents(),
            QByteArray("podtap.io/heartbeat=\"2026-11-27T10:00:00Z\"\nzz=\"a \\\"quoted\\\" value\""), 5000);

        // Deleting sends SIGTERM: the receiver removes its device, and the pod goes away.
        const ProcessResult deleted =
            m_rig.kubectl({QStringLiteral("delete"), QStringLiteral("pod"), QStringLiteral("-n"),
                QStringLiteral("default"), QStringLiteral("receive-agent"), QStringLiteral("--wait=true")});
        QVERIFY2(deleted.ok(), qPrintable(deleted.describe({QStringLiteral("kubectl delete")})));
        QVERIFY(
            !m_rig
                 .inNetns(node.netns,
                     {QStringLiteral("ip"), QStringLiteral("link"), QStringLiteral("show"), QStringLiteral("rigtest0")})
                 .ok());
        QVERIFY2(!QFile::exists(file), "the pod's volume directory should be gone");
    }

    void failingAgentGoesIntoCrashLoopBackOff()
    {
        const RigFixture::Pod target = m_rig.pods().first();
        const ProcessResult created =
            m_rig.kubectl({QStringLiteral("create"), QStringLiteral("-f"), QStringLiteral("-")}, 30000,
                agentPodJson(QStringLiteral("lost-agent"), target.node, QStringLiteral("OnFailure"), 0,
                    {QStringLiteral("mirror"), QStringLiteral("--container-id"),
                        QStringLiteral("containerd://") + QString(64, QLatin1Char('a')), QStringLiteral("--vni"),
                        QStringLiteral("5"), QStringLiteral("--remote"), QStringLiteral("198.51.100.254")}));
        QVERIFY2(created.ok(), qPrintable(created.describe({QStringLiteral("kubectl create")})));
        // Exit 3 (target not found), restarted with a back-off, as the kubelet does.
        QTRY_VERIFY_WITH_TIMEOUT(
            m_rig.getJson({QStringLiteral("pod"), QStringLiteral("-n"), QStringLiteral("default"),
                QStringLiteral("lost-agent")})[QStringLiteral("status")][QStringLiteral("containerStatuses")][0]
                                              [QStringLiteral("restartCount")]
                                                  .toInt() >= 1,
            20000);
        const QJsonObject status =
            m_rig
                .getJson({QStringLiteral("pod"), QStringLiteral("-n"), QStringLiteral("default"),
                    QStringLiteral("lost-agent")})[QStringLiteral("status")][QStringLiteral("containerStatuses")][0]
                .toObject();
        QCOMPARE(
            status[QStringLiteral("lastState")][QStringLiteral("terminated")][QStringLiteral("exitCode")].toInt(), 3);
        const ProcessResult logs = m_rig.kubectl(
            {QStringLiteral("logs"), QStringLiteral("-n"), QStringLiteral("default"), QStringLiteral("lost-agent")});
        QVERIFY2(logs.out.contains("\"event\":\"error\""), logs.out.constData());
        QVERIFY(m_rig
                    .kubectl({QStringLiteral("delete"), QStringLiteral("pod"), QStringLiteral("-n"),
                        QStringLiteral("default"), QStringLiteral("lost-agent"), QStringLiteral("--wait=true")})
                    .ok());
    }

    void activeDeadlineEndsAnAgentPod()
    {
        const RigFixture::Pod target = m_rig.pods().first();
        const ProcessResult created =
            m_rig.kubectl({QStringLiteral("create"), QStringLiteral("-f"), QStringLiteral("-")}, 30000,
                agentPodJson(QStringLiteral("brief-agent"), target.node, QStringLiteral("Never"), 2,
                    {QStringLiteral("receive"), QStringLiteral("--vni"), QStringLiteral("4343"),
                        QStringLiteral("--name"), QStringLiteral("rigbrief0")}));
        QVERIFY2(created.ok(), qPrintable(created.describe({QStringLiteral("kubectl create")})));
        QVERIFY(
            waitForPodPhase(QStringLiteral("default"), QStringLiteral("brief-agent"), QStringLiteral("Failed"), 20000));
        const QJsonObject pod = m_rig.getJson(
            {QStringLiteral("pod"), QStringLiteral("-n"), QStringLiteral("default"), QStringLiteral("brief-agent")});
        QCOMPARE(
            pod[QStringLiteral("status")][QStringLiteral("reason")].toString(), QStringLiteral("DeadlineExceeded"));
        // The agent got SIGTERM and removed its device.
        QVERIFY(!m_rig
                     .inNetns(m_rig.node(target.node).netns,
                         {QStringLiteral("ip"), QStringLiteral("link"), QStringLiteral("show"),
                             QStringLiteral("rigbrief0")})
                     .ok());
        QVERIFY(m_rig
                    .kubectl({QStringLiteral("delete"), QStringLiteral("pod"), QStringLiteral("-n"),
                        QStringLiteral("default"), QStringLiteral("brief-agent")})
                    .ok());
    }

    void deletingAPodStopsItsProcesses()
    {
        const RigFixture::Pod pod = m_rig.pods().last();
        QVERIFY(!cgroupsIn(pod.netns).isEmpty());
        const ProcessResult deleted = m_rig.kubectl({QStringLiteral("delete"), QStringLiteral("pod"),
            QStringLiteral("-n"), pod.ns, pod.name, QStringLiteral("--wait=true")});
        QVERIFY2(deleted.ok(), qPrintable(deleted.describe({QStringLiteral("kubectl delete")})));
        QVERIFY(m_rig.getJson({QStringLiteral("pod"), QStringLiteral("-n"), pod.ns, pod.name}).isEmpty());
        QVERIFY2(!QFile::exists(QStringLiteral("/run/netns/") + pod.netns), qPrintable(pod.netns));
    }

    void killedRigIsCleanedByTheNextStart()
    {
        QStringList left;
        {
            RigFixture doomed;
            QString error;
            QVERIFY2(doomed.start({QStringLiteral("--nodes"), QStringLiteral("1"), QStringLiteral("--pods"),
                                      QStringLiteral("2"), QStringLiteral("--namespaces"), QStringLiteral("1")},
                         &error),
                qPrintable(error));
            ::kill(pid_t(doomed.sim().pid()), SIGKILL);
            QTest::qWait(300);
            left = doomed.leftovers();
            QVERIFY2(left.size() >= 4, qPrintable(left.join(QStringLiteral("; "))));
        }
        RigFixture next;
        QString error;
        QVERIFY2(next.start({QStringLiteral("--nodes"), QStringLiteral("1")}, &error), qPrintable(error));
        for (const QString &leftover : left) {
            const QString path = leftover.startsWith(QLatin1String("network namespace "))
                ? QStringLiteral("/run/netns/") + leftover.section(QLatin1Char(' '), 2)
                : leftover.section(QLatin1Char(' '), 1);
            QVERIFY2(!QFile::exists(path), qPrintable(path + QStringLiteral(" survived the next start")));
        }
        const QStringList nextLeft = next.stop();
        QVERIFY2(nextLeft.isEmpty(), qPrintable(nextLeft.join(QStringLiteral("; "))));
    }
};

QTEST_GUILESS_MAIN(TestKubeSimRig)
#include "tst_kube_sim_rig.moc"
