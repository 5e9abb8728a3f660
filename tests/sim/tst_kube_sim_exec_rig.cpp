// SPDX-License-Identifier: Apache-2.0
// pods/exec on kube-sim's rig: the command runs in the container's context (network and mount
// namespaces, root, volumes, cgroup), its output goes to the client only, and it ends when the
// client's socket closes. Judged with the real kubectl and python3-kubernetes.
#include "rig_fixture.h"
#include "support/privileged.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using podtap::test::ProcessResult;
using podtap::test::RigFixture;

namespace {

const QString agentNs = QStringLiteral("default");
const QString agentPod = QStringLiteral("exec-agent");

/// Inode number of a namespace file, as `readlink /proc/self/ns/net` shows it ("net:[N]").
QByteArray netnsLink(const QString &path)
{
    struct stat info = {};
    if (::stat(QFile::encodeName(path).constData(), &info) != 0) {
        return {};
    }
    return "net:[" + QByteArray::number(qulonglong(info.st_ino)) + ']';
}

QJsonObject hostPathVolume(const QString &name, const QString &path)
{
    return {{QStringLiteral("name"), name}, {QStringLiteral("hostPath"), QJsonObject {{QStringLiteral("path"), path}}}};
}

QJsonObject mount(const QString &name, const QString &path)
{
    return {{QStringLiteral("name"), name}, {QStringLiteral("mountPath"), path}, {QStringLiteral("readOnly"), true}};
}

} // namespace

class TestKubeSimExecRig : public QObject
{
    Q_OBJECT

private:
    RigFixture m_rig;
    QString m_agentNode;

    ProcessResult kubectl(const QStringList &args, const QByteArray &input = {})
    {
        return m_rig.kubectl(args, 30000, input);
    }
    ProcessResult execInAgent(const QStringList &command, const QByteArray &input = {})
    {
        QStringList args {QStringLiteral("exec"), QStringLiteral("-n"), agentNs, agentPod};
        if (!input.isEmpty()) {
            args << QStringLiteral("-i");
        }
        return kubectl(args + QStringList {QStringLiteral("--")} + command, input);
    }
    QJsonObject stats()
    {
        return QJsonDocument::fromJson(
            kubectl({QStringLiteral("get"), QStringLiteral("--raw"), QStringLiteral("/sim/stats")}).out)
            .object();
    }

    /// An agent pod running `podtap-agent receive` on @p node, with the host's /usr bound in (so the
    /// exec tests have tools inside its otherwise empty root) and its annotations as a file.
    QByteArray agentPodJson(const QString &node)
    {
        QJsonArray volumes {hostPathVolume(QStringLiteral("usr"), QStringLiteral("/usr")),
            hostPathVolume(QStringLiteral("lib"), QStringLiteral("/usr/lib")),
            hostPathVolume(QStringLiteral("lib64"), QStringLiteral("/usr/lib64")),
            hostPathVolume(QStringLiteral("bin"), QStringLiteral("/usr/bin")),
            QJsonObject {{QStringLiteral("name"), QStringLiteral("podinfo")},
                {QStringLiteral("downwardAPI"),
                    QJsonObject {{QStringLiteral("items"),
                        QJsonArray {QJsonObject {{QStringLiteral("path"), QStringLiteral("annotations")},
                            {QStringLiteral("fieldRef"),
                                QJsonObject {
                                    {QStringLiteral("fieldPath"), QStringLiteral("metadata.annotations")}}}}}}}}}};
        QJsonArray mounts {mount(QStringLiteral("usr"), QStringLiteral("/usr")),
            mount(QStringLiteral("lib"), QStringLiteral("/lib")),
            mount(QStringLiteral("lib64"), QStringLiteral("/lib64")),
            mount(QStringLiteral("bin"), QStringLiteral("/bin")),
            mount(QStringLiteral("podinfo"), QStringLiteral("/etc/podtap"))};
        const QJsonObject spec {
            {QStringLiteral("nodeName"), node},
            {QStringLiteral("hostNetwork"), true},
            {QStringLiteral("restartPolicy"), QStringLiteral("Never")},
            {QStringLiteral("terminationGracePeriodSeconds"), 5},
            {QStringLiteral("containers"),
                QJsonArray {QJsonObject {
                    {QStringLiteral("name"), QStringLiteral("agent")},
                    {QStringLiteral("image"), QStringLiteral("ghcr.io/podtap/podtap-agent:latest")},
                    {QStringLiteral("args"),
                        QJsonArray {QStringLiteral("receive"), QStringLiteral("--vni"), QStringLiteral("4343"),
                            QStringLiteral("--name"), QStringLiteral("rigexec0")}},
                    {QStringLiteral("volumeMounts"), mounts},
                }}},
            {QStringLiteral("volumes"), volumes},
        };
        return QJsonDocument(
            QJsonObject {{QStringLiteral("apiVersion"), QStringLiteral("v1")},
                {QStringLiteral("kind"), QStringLiteral("Pod")},
                {QStringLiteral("metadata"),
                    QJsonObject {{QStringLiteral("name"), agentPod}, {QStringLiteral("namespace"), agentNs},
                        {QStringLiteral("annotations"),
                            QJsonObject {{QStringLiteral("podtap.io/exec-test"), QStringLiteral("volume seen")},
                                // A multi-line list as the console writes it, with what Go's %q escapes.
                                {QStringLiteral("podtap.io/targets"),
                                    QString::fromUtf8(
                                        "a/b --pid 1 --vni 1\nc/d \"q\"\t\\ \x01\x7f \xc3\xa9\xc2\xa0")}}}}},
                {QStringLiteral("spec"), spec}})
            .toJson();
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QString error;
        QVERIFY2(m_rig.start({QStringLiteral("--nodes"), QStringLiteral("1"), QStringLiteral("--namespaces"),
                                 QStringLiteral("1"), QStringLiteral("--pods"), QStringLiteral("2"),
                                 QStringLiteral("--seed"), QStringLiteral("11")},
                     &error),
            qPrintable(error));
        QVERIFY2(!m_rig.pods().isEmpty(), "the rig should run a pod");
        m_agentNode = m_rig.nodes().first().name;
        const ProcessResult created =
            kubectl({QStringLiteral("create"), QStringLiteral("-f"), QStringLiteral("-")}, agentPodJson(m_agentNode));
        QVERIFY2(created.ok(), qPrintable(created.describe({QStringLiteral("kubectl create")})));
        QDeadlineTimer deadline(30000);
        QString phase;
        while (!deadline.hasExpired() && phase != QLatin1String("Running")) {
            phase = m_rig.getJson({QStringLiteral("pod"), QStringLiteral("-n"), agentNs, agentPod})
                        .value(QLatin1String("status"))
                        .toObject()
                        .value(QLatin1String("phase"))
                        .toString();
            QTest::qWait(100);
        }
        QCOMPARE(phase, QStringLiteral("Running"));
    }

    void cleanupTestCase()
    {
        const QStringList left = m_rig.stop();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral("; "))));
    }

    void execRunsInThePodNetworkNamespace()
    {
        const RigFixture::Pod pod = m_rig.pods().first();
        const QString container = m_rig.getJson({QStringLiteral("pod"), QStringLiteral("-n"), pod.ns, pod.name})
                                      .value(QLatin1String("spec"))
                                      .toObject()
                                      .value(QLatin1String("containers"))
                                      .toArray()
                                      .first()
                                      .toObject()
                                      .value(QLatin1String("name"))
                                      .toString();
        const ProcessResult addresses = kubectl({QStringLiteral("exec"), QStringLiteral("-n"), pod.ns, pod.name,
            QStringLiteral("-c"), container, QStringLiteral("--"), QStringLiteral("ip"), QStringLiteral("-4"),
            QStringLiteral("-o"), QStringLiteral("addr"), QStringLiteral("show")});
        QVERIFY2(addresses.ok(), qPrintable(addresses.describe({QStringLiteral("kubectl exec -- ip addr")})));
        QVERIFY2(addresses.out.contains(" " + pod.ip.toUtf8() + "/"), addresses.out.constData());
        const ProcessResult netns =
            kubectl({QStringLiteral("exec"), QStringLiteral("-n"), pod.ns, pod.name, QStringLiteral("-c"), container,
                QStringLiteral("--"), QStringLiteral("readlink"), QStringLiteral("/proc/self/ns/net")});
        QVERIFY2(netns.ok(), qPrintable(netns.describe({QStringLiteral("kubectl exec -- readlink")})));
        QCOMPARE(netns.out.trimmed(), netnsLink(QStringLiteral("/run/netns/") + pod.netns));
    }

    void execRunsInTheAgentRootWithItsVolumes()
    {
        // The agent binary is at / only inside the pod's root.
        QVERIFY2(!QFileInfo::exists(QStringLiteral("/podtap-agent")), "this machine has a /podtap-agent");
        const ProcessResult version = execInAgent({QStringLiteral("/podtap-agent"), QStringLiteral("--version")});
        QVERIFY2(version.ok(), qPrintable(version.describe({QStringLiteral("kubectl exec -- /podtap-agent")})));
        QVERIFY2(version.out.contains("podtap-agent"), version.out.constData());

        const ProcessResult root = execInAgent({QStringLiteral("ls"), QStringLiteral("/")});
        QVERIFY2(root.ok(), qPrintable(root.describe({QStringLiteral("kubectl exec -- ls /")})));
        const QByteArrayList entries = root.out.split('\n');
        QVERIFY2(entries.contains("podtap-agent") && entries.contains("etc") && !entries.contains("home") &&
                !entries.contains("root"),
            root.out.constData());

        const ProcessResult annotations =
            execInAgent({QStringLiteral("cat"), QStringLiteral("/etc/podtap/annotations")});
        QVERIFY2(annotations.ok(), qPrintable(annotations.describe({QStringLiteral("kubectl exec -- cat")})));
        // As the kubelet writes them: sorted `KEY=%q` lines, each value on one line, escaped as Go escapes it.
        QCOMPARE(annotations.out,
            QByteArray("podtap.io/exec-test=\"volume seen\"\n"
                       "podtap.io/targets=\"a/b --pid 1 --vni 1\\nc/d \\\"q\\\"\\t\\\\ \\x01\\x7f \xc3\xa9\\u00a0\""));

        // hostNetwork: the node's namespace, as the agent's.
        const ProcessResult netns = execInAgent({QStringLiteral("readlink"), QStringLiteral("/proc/self/ns/net")});
        QVERIFY2(netns.ok(), qPrintable(netns.describe({QStringLiteral("kubectl exec -- readlink")})));
        QCOMPARE(netns.out.trimmed(), netnsLink(QStringLiteral("/run/netns/") + m_rig.node(m_agentNode).netns));

        // In the container's cgroup, which is named after its container ID.
        const QString containerId = m_rig.getJson({QStringLiteral("pod"), QStringLiteral("-n"), agentNs, agentPod})
                                        .value(QLatin1String("status"))
                                        .toObject()
                                        .value(QLatin1String("containerStatuses"))
                                        .toArray()
                                        .first()
                                        .toObject()
                                        .value(QLatin1String("containerID"))
                                        .toString()
                                        .section(QStringLiteral("://"), 1);
        QCOMPARE(containerId.size(), 64);
        const ProcessResult cgroup = execInAgent({QStringLiteral("cat"), QStringLiteral("/proc/self/cgroup")});
        QVERIFY2(cgroup.out.contains(containerId.toUtf8()), cgroup.out.constData());

        // What the image does not hold fails as in a container.
        const ProcessResult missing = execInAgent({QStringLiteral("no-such-tool")});
        QVERIFY(!missing.ok());
        QVERIFY2(missing.err.contains("exec: \"no-such-tool\": executable file not found in $PATH"),
            missing.err.constData());
    }

    void execOutputStaysOutOfThePodLog()
    {
        const ProcessResult marked = execInAgent({QStringLiteral("echo"), QStringLiteral("exec-only-marker")});
        QVERIFY2(marked.ok(), qPrintable(marked.describe({QStringLiteral("kubectl exec -- echo")})));
        QCOMPARE(marked.out, QByteArray("exec-only-marker\n"));
        const ProcessResult logs = kubectl({QStringLiteral("logs"), QStringLiteral("-n"), agentNs, agentPod});
        QVERIFY2(logs.ok(), qPrintable(logs.describe({QStringLiteral("kubectl logs")})));
        QVERIFY2(logs.out.contains("\"ready\""), logs.out.constData()); // the agent's own output is there
        QVERIFY2(!logs.out.contains("exec-only-marker"), logs.out.constData());
    }

    void stdinAndExitCode()
    {
        const ProcessResult echoed = execInAgent({QStringLiteral("cat")}, "through the pipe\n");
        QVERIFY2(echoed.ok(), qPrintable(echoed.describe({QStringLiteral("kubectl exec -i -- cat")})));
        QCOMPARE(echoed.out, QByteArray("through the pipe\n"));
        const ProcessResult failed =
            execInAgent({QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("echo out; echo err >&2; exit 7")});
        QCOMPARE(failed.exitCode, 7);
        QCOMPARE(failed.out, QByteArray("out\n"));
        QVERIFY2(failed.err.startsWith("err\n"), failed.err.constData());
    }

    void closingTheSocketEndsTheCommand_data()
    {
        QTest::addColumn<QString>("script");
        // cat ends when its stdin closes; sleep ignores stdin and needs the SIGTERM after the grace.
        QTest::newRow("stdin closes") << QStringLiteral("echo $$; exec cat");
        QTest::newRow("SIGTERM after the grace") << QStringLiteral("echo $$; exec sleep 600");
    }

    void closingTheSocketEndsTheCommand()
    {
        QFETCH(QString, script);
        std::unique_ptr<QProcess> client =
            m_rig.sim().startKubectl({QStringLiteral("exec"), QStringLiteral("-i"), QStringLiteral("-n"), agentNs,
                agentPod, QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"), script});
        const auto stop = qScopeGuard([&] {
            client->kill();
            client->waitForFinished(5000);
        });
        QByteArray out;
        QDeadlineTimer deadline(20000);
        while (!deadline.hasExpired() && !out.contains('\n')) {
            client->waitForReadyRead(100);
            out += client->readAllStandardOutput();
        }
        bool ok = false;
        const qint64 pid = out.trimmed().toLongLong(&ok);
        QVERIFY2(ok && pid > 1, out.constData());
        const QString proc = QStringLiteral("/proc/%1").arg(pid);
        QVERIFY(QFileInfo::exists(proc));
        // The command is the pod's: the node's network namespace (hostNetwork) and the pod's root.
        char link[64] = {};
        QVERIFY(::readlink(QFile::encodeName(proc + QStringLiteral("/ns/net")).constData(), link, sizeof link - 1) > 0);
        QCOMPARE(QByteArray(link), netnsLink(QStringLiteral("/run/netns/") + m_rig.node(m_agentNode).netns));
        QVERIFY2(
            QFileInfo(proc + QStringLiteral("/root/podtap-agent")).exists(), "the command is not in the pod's root");
        QCOMPARE(stats().value(QLatin1String("execsRunning")).toInteger(), 1);
        // The client dies without a goodbye (as a killed console would): its socket closes.
        client->kill();
        client->waitForFinished(5000);
        QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(proc), 15000);
        QTRY_COMPARE_WITH_TIMEOUT(stats().value(QLatin1String("execsRunning")).toInteger(), 0, 5000);
    }

    void slowReaderPausesTheProcess()
    {
        const ProcessResult probe = podtap::test::run(
            {QStringLiteral("/usr/bin/python3"), QStringLiteral("-c"), QStringLiteral("import kubernetes.stream")});
        if (!probe.ok()) {
            QSKIP("python3-kubernetes is not installed (scripts/install-deps.sh test installs it)");
        }
        // A v5 client that reads nothing until the server reports a pause, then everything.
        const QString script = QStringLiteral(R"(
import json, sys, time
from kubernetes import client, config
from kubernetes.stream.ws_client import create_websocket
from websocket import ABNF
config.load_kube_config(config_file=sys.argv[1])
cfg = client.Configuration.get_default_copy()
v1 = client.CoreV1Api()
stats = lambda: v1.api_client.call_api("/sim/stats", "GET", response_type="object", _return_http_data_only=True)
before = stats()["execOutputPauses"]
ws = create_websocket(cfg, cfg.host.replace("https", "wss") + "/api/v1/namespaces/%1/pods/%2/exec?command=seq&command=1&command=1500000&stdout=true&stderr=true", {"sec-websocket-protocol": "v5.channel.k8s.io"})
deadline = time.monotonic() + 20
while stats()["execOutputPauses"] == before and time.monotonic() < deadline:
    time.sleep(0.05)
paused = stats()["execOutputPauses"] > before
out, status = b"", None
while True:
    opcode, frame = ws.recv_data_frame(True)
    if opcode == ABNF.OPCODE_CLOSE:
        break
    if frame.data[:1] == b"\x01":
        out += frame.data[1:]
    elif frame.data[:1] == b"\x03":
        status = json.loads(frame.data[1:])
lines = out.split(b"\n")
print("paused", paused, "lines", len(lines) - 1, "last", lines[-2].decode(), "status", status["status"])
)")
                                   .arg(agentNs, agentPod);
        const QStringList command = {
            QStringLiteral("/usr/bin/python3"), QStringLiteral("-c"), script, m_rig.kubeconfig()};
        const ProcessResult result = m_rig.sim().runWithEnv(command, 120000);
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("python3 slow reader")})));
        QCOMPARE(result.out.trimmed(), QByteArray("paused True lines 1500000 last 1500000 status Success"));
    }
};

QTEST_GUILESS_MAIN(TestKubeSimExecRig)
#include "tst_kube_sim_exec_rig.moc"
