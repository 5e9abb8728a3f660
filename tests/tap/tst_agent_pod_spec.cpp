// SPDX-License-Identifier: Apache-2.0
#include "podtap/version.h"
#include "tap/agent_pod_spec.h"
#include "tap/manifest_yaml.h"
#include "tap/session_id.h"
#include "tap/tap_planner.h"
#include "tap/target_resolution.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace podtap;

namespace {

TapPlan samplePlan()
{
    TapPlan plan;
    plan.sessionId = QStringLiteral("k3x9q2m7ab");
    plan.targetNamespace = QStringLiteral("shop");
    plan.targetPod = QStringLiteral("cart-7d9f8-x2k4q");
    plan.interfaceName = QStringLiteral("net1");
    plan.direction = Direction::Ingress;
    plan.targetNode = QStringLiteral("worker-3");
    plan.targetNodeIp = QStringLiteral("192.0.2.13");
    plan.containerId = QStringLiteral("containerd://0123456789abcdef0123456789abcdef");
    plan.destinationIp = QStringLiteral("198.51.100.20");
    plan.destinationNode = QStringLiteral("worker-9");
    plan.vni = 4242;
    plan.port = 8472;
    plan.maxDuration = std::chrono::seconds(900);
    plan.agentNamespace = QStringLiteral("tap-agents");
    plan.agentImage = QStringLiteral("registry.example/podtap-agent:1.2");
    plan.requestedBy = QStringLiteral("alice@laptop");
    plan.heartbeat = QDateTime(QDate(2026, 11, 27), QTime(5, 49, 6), Qt::UTC);
    return plan;
}

QJsonObject reparsedYaml(const QJsonObject &pod)
{
    QList<QJsonObject> objects;
    QString error;
    const bool ok = parseYamlStream(toYaml(pod), &objects, &error);
    if (!ok || objects.size() != 1) {
        qWarning() << "YAML did not parse:" << error;
        return {};
    }
    return objects.first();
}

QJsonObject path(const QJsonObject &object, const QString &dotted)
{
    QJsonObject current = object;
    for (const QString &key : dotted.split(QLatin1Char('.'))) {
        current = current.value(key).toObject();
    }
    return current;
}

QJsonObject firstContainer(const QJsonObject &pod)
{
    return path(pod, QStringLiteral("spec")).value(QLatin1String("containers")).toArray().first().toObject();
}

QJsonObject byName(const QJsonArray &array, const QString &name)
{
    for (const QJsonValue &value : array) {
        if (value.toObject().value(QLatin1String("name")).toString() == name) {
            return value.toObject();
        }
    }
    return {};
}

QStringList toStrings(const QJsonValue &value)
{
    QStringList list;
    for (const QJsonValue &item : value.toArray()) {
        list << item.toString();
    }
    return list;
}

} // namespace

/// @brief The agent pods carry every field DESIGN step 5 demands, in JSON and in YAML alike.
class TestAgentPodSpec final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void senderPodCarriesEverything_data()
    {
        QTest::addColumn<bool>("fromYaml");
        QTest::newRow("json") << false;
        QTest::newRow("yaml re-parsed with yaml-cpp") << true;
    }

    void senderPodCarriesEverything()
    {
        QFETCH(bool, fromYaml);
        const TapPlan plan = samplePlan();
        const QJsonObject pod = fromYaml ? reparsedYaml(senderPod(plan)) : senderPod(plan);
        QVERIFY(!pod.isEmpty());
        QCOMPARE(pod.value(QLatin1String("apiVersion")).toString(), QStringLiteral("v1"));
        QCOMPARE(pod.value(QLatin1String("kind")).toString(), QStringLiteral("Pod"));

        const QJsonObject metadata = path(pod, QStringLiteral("metadata"));
        QCOMPARE(metadata.value(QLatin1String("namespace")).toString(), QStringLiteral("tap-agents"));
        QCOMPARE(
            metadata.value(QLatin1String("name")).toString(), QStringLiteral("podtap-cart-7d9f8-x2k4q-k3x9q2m7ab"));
        const QJsonObject labels = metadata.value(QLatin1String("labels")).toObject();
        QCOMPARE(labels.value(QLatin1String("app.kubernetes.io/name")).toString(), QStringLiteral("podtap"));
        QCOMPARE(labels.value(QLatin1String("app.kubernetes.io/managed-by")).toString(), QStringLiteral("podtap"));
        QCOMPARE(labels.value(QLatin1String("app.kubernetes.io/component")).toString(), QStringLiteral("sender"));
        QCOMPARE(labels.value(QLatin1String("podtap.io/session")).toString(), QStringLiteral("k3x9q2m7ab"));
        const QJsonObject annotations = metadata.value(QLatin1String("annotations")).toObject();
        QCOMPARE(annotations.value(QLatin1String("podtap.io/target")).toString(),
            QStringLiteral("shop/cart-7d9f8-x2k4q/net1"));
        QCOMPARE(annotations.value(QLatin1String("podtap.io/requested-by")).toString(), QStringLiteral("alice@laptop"));
        QCOMPARE(
            annotations.value(QLatin1String("podtap.io/heartbeat")).toString(), QStringLiteral("2026-11-27T05:49:06Z"));

        const QJsonObject spec = path(pod, QStringLiteral("spec"));
        QCOMPARE(spec.value(QLatin1String("nodeName")).toString(), QStringLiteral("worker-3"));
        QCOMPARE(spec.value(QLatin1String("hostNetwork")), QJsonValue(true));
        // The target's netns is reached through the host's /proc with CAP_SYS_PTRACE: no host PID namespace.
        QVERIFY(!spec.contains(QLatin1String("hostPID")));
        QCOMPARE(spec.value(QLatin1String("restartPolicy")).toString(), QStringLiteral("OnFailure"));
        QCOMPARE(spec.value(QLatin1String("activeDeadlineSeconds")).toInt(), 900);
        QCOMPARE(spec.value(QLatin1String("automountServiceAccountToken")), QJsonValue(false));
        QCOMPARE(path(spec, QStringLiteral("securityContext.seccompProfile")).value(QLatin1String("type")).toString(),
            QStringLiteral("RuntimeDefault"));
        const QJsonArray tolerations = spec.value(QLatin1String("tolerations")).toArray();
        QCOMPARE(tolerations.size(), 1);
        QCOMPARE(tolerations.first().toObject(), QJsonObject({{QStringLiteral("operator"), QStringLiteral("Exists")}}));

        const QJsonObject container = firstContainer(pod);
        QCOMPARE(
            container.value(QLatin1String("image")).toString(), QStringLiteral("registry.example/podtap-agent:1.2"));
        const QJsonObject security = container.value(QLatin1String("securityContext")).toObject();
        QCOMPARE(toStrings(path(security, QStringLiteral("capabilities")).value(QLatin1String("drop"))),
            QStringList {QStringLiteral("ALL")});
        QCOMPARE(toStrings(path(security, QStringLiteral("capabilities")).value(QLatin1String("add"))),
            QStringList({QStringLiteral("NET_ADMIN"), QStringLiteral("SYS_ADMIN"), QStringLiteral("SYS_PTRACE")}));
        QVERIFY2(!security.contains(QLatin1String("privileged")), "no privileged unless asked");
        QCOMPARE(security.value(QLatin1String("readOnlyRootFilesystem")), QJsonValue(true));
        const QJsonObject resources = container.value(QLatin1String("resources")).toObject();
        QVERIFY(resources.value(QLatin1String("requests")).toObject().contains(QLatin1String("memory")));
        QVERIFY(resources.value(QLatin1String("limits")).toObject().contains(QLatin1String("memory")));

        // Volumes: /proc read-only, /var/run/netns with HostToContainer, annotations via downwardAPI.
        const QJsonArray volumes = spec.value(QLatin1String("volumes")).toArray();
        const QJsonArray mounts = container.value(QLatin1String("volumeMounts")).toArray();
        QCOMPARE(path(byName(volumes, QStringLiteral("host-proc")), QStringLiteral("hostPath"))
                     .value(QLatin1String("path"))
                     .toString(),
            QStringLiteral("/proc"));
        QCOMPARE(byName(mounts, QStringLiteral("host-proc")).value(QLatin1String("readOnly")), QJsonValue(true));
        QCOMPARE(path(byName(volumes, QStringLiteral("host-netns")), QStringLiteral("hostPath"))
                     .value(QLatin1String("path"))
                     .toString(),
            QStringLiteral("/var/run/netns"));
        QCOMPARE(byName(mounts, QStringLiteral("host-netns")).value(QLatin1String("mountPropagation")).toString(),
            QStringLiteral("HostToContainer"));
        const QJsonArray items = path(byName(volumes, QStringLiteral("podinfo")), QStringLiteral("downwardAPI"))
                                     .value(QLatin1String("items"))
                                     .toArray();
        QCOMPARE(items.size(), 1);
        QCOMPARE(
            path(items.first().toObject(), QStringLiteral("fieldRef")).value(QLatin1String("fieldPath")).toString(),
            QStringLiteral("metadata.annotations"));
        const QString podInfoDir =
            byName(mounts, QStringLiteral("podinfo")).value(QLatin1String("mountPath")).toString();
        const QString procDir =
            byName(mounts, QStringLiteral("host-proc")).value(QLatin1String("mountPath")).toString();
        const QString netnsDir =
            byName(mounts, QStringLiteral("host-netns")).value(QLatin1String("mountPath")).toString();

        // The agent's command line follows its contract, pointing at the mounts above.
        const QStringList args = toStrings(container.value(QLatin1String("args")));
        const QStringList expected {QStringLiteral("mirror"), QStringLiteral("--container-id"),
            QStringLiteral("containerd://0123456789abcdef0123456789abcdef"), QStringLiteral("--vni"),
            QStringLiteral("4242"), QStringLiteral("--remote"), QStringLiteral("198.51.100.20"),
            QStringLiteral("--port"), QStringLiteral("8472"), QStringLiteral("--interface"), QStringLiteral("net1"),
            QStringLiteral("--direction"), QStringLiteral("ingress"), QStringLiteral("--session"),
            QStringLiteral("k3x9q2m7ab"), QStringLiteral("--heartbeat-file"),
            podInfoDir + QStringLiteral("/annotations"), QStringLiteral("--heartbeat-timeout"), QStringLiteral("180"),
            QStringLiteral("--proc-root"), procDir, QStringLiteral("--netns-dir"), netnsDir};
        QCOMPARE(args, expected);
    }

    void yamlAndJsonAgree()
    {
        TapPlan plan = samplePlan();
        plan.bpfBytecode = QStringLiteral("1,6 0 0 65535");
        for (const QJsonObject &pod : {senderPod(plan), receiverPod(plan)}) {
            QCOMPARE(reparsedYaml(pod), pod);
        }
    }

    void numericLookingStringsStayStrings()
    {
        // "4242" in args must reach the API as a string, or the pod is rejected.
        const QByteArray yaml = toYaml(senderPod(samplePlan()));
        QVERIFY2(yaml.contains("- \"4242\""), yaml.constData());
        QVERIFY2(yaml.contains("- \"180\""), yaml.constData());
    }

    void bpfGoesToTheAgent()
    {
        TapPlan plan = samplePlan();
        plan.bpfBytecode = QStringLiteral("4,40 0 0 12,21 0 1 2048,6 0 0 65535,6 0 0 0");
        const QStringList args = senderAgentArgs(plan);
        const qsizetype at = args.indexOf(QStringLiteral("--bpf"));
        QVERIFY(at > 0);
        QCOMPARE(args.at(at + 1), plan.bpfBytecode);
    }

    void egressVniGoesToTheAgentOnlyWhenSet()
    {
        // Without it the sender's args (and so `podtapctl manifest`) are exactly as before.
        TapPlan plan = samplePlan();
        plan.direction = Direction::Both;
        QVERIFY(!senderAgentArgs(plan).contains(QStringLiteral("--egress-vni")));
        plan.egressVni = 4243;
        const QStringList args = senderAgentArgs(plan);
        const qsizetype at = args.indexOf(QStringLiteral("--egress-vni"));
        QVERIFY2(at > 0, qPrintable(args.join(QLatin1Char(' '))));
        QCOMPARE(args.at(at + 1), QStringLiteral("4243"));
        QCOMPARE(args.at(args.indexOf(QStringLiteral("--vni")) + 1), QString::number(plan.vni));
        QVERIFY(validatePlan(plan).isEmpty());
        // Ingress only: no egress frames, so no egress device (the agent refuses the pair).
        plan.direction = Direction::Ingress;
        QVERIFY(!senderAgentArgs(plan).contains(QStringLiteral("--egress-vni")));
    }

    void egressVniMustDifferAndFit()
    {
        TapPlan plan = samplePlan();
        for (const std::uint32_t bad : {plan.vni, std::uint32_t(TapRequest::kMaxVni) + 1}) {
            plan.egressVni = bad;
            const ValidationProblems problems = validatePlan(plan);
            QCOMPARE(problems.size(), 1);
            QCOMPARE(problems.first().field, QStringLiteral("egress VNI"));
        }
    }

    void noHeartbeatWhenNoConsoleWatches()
    {
        TapPlan plan = samplePlan();
        QVERIFY(senderAgentArgs(plan).contains(QStringLiteral("--heartbeat-file")));
        plan.heartbeatTimeoutSeconds = 0;
        const QStringList args = senderAgentArgs(plan);
        QVERIFY2(
            !args.contains(QStringLiteral("--heartbeat-file")) && !args.contains(QStringLiteral("--heartbeat-timeout")),
            qPrintable(args.join(QLatin1Char(' '))));
        const QJsonObject annotations =
            senderPod(plan)[QLatin1String("metadata")][QLatin1String("annotations")].toObject();
        QCOMPARE(annotations.value(QLatin1String(kAnnotationHeartbeat)).toString(), QStringLiteral("none"));
    }

    void privilegedOnlyWhenAsked()
    {
        TapPlan plan = samplePlan();
        plan.privileged = true;
        const QJsonObject security = firstContainer(senderPod(plan)).value(QLatin1String("securityContext")).toObject();
        QCOMPARE(security.value(QLatin1String("privileged")), QJsonValue(true));
        // The API refuses allowPrivilegeEscalation=false with privileged=true.
        QVERIFY(!security.contains(QLatin1String("allowPrivilegeEscalation")));
    }

    void receiverPodRunsReceiveWithOnlyNetAdmin()
    {
        const TapPlan plan = samplePlan();
        for (const QJsonObject &pod : {receiverPod(plan), reparsedYaml(receiverPod(plan))}) {
            const QJsonObject metadata = path(pod, QStringLiteral("metadata"));
            QCOMPARE(metadata.value(QLatin1String("namespace")).toString(), QStringLiteral("tap-agents"));
            QCOMPARE(
                path(metadata, QStringLiteral("labels")).value(QLatin1String("app.kubernetes.io/component")).toString(),
                QStringLiteral("receiver"));
            QCOMPARE(path(metadata, QStringLiteral("labels")).value(QLatin1String("podtap.io/session")).toString(),
                plan.sessionId);
            QVERIFY(metadata.value(QLatin1String("name")).toString() !=
                agentPodName(plan.targetPod, plan.sessionId, AgentRole::Sender));
            const QJsonObject spec = path(pod, QStringLiteral("spec"));
            QCOMPARE(spec.value(QLatin1String("nodeName")).toString(), QStringLiteral("worker-9"));
            QCOMPARE(spec.value(QLatin1String("hostNetwork")), QJsonValue(true));
            QCOMPARE(spec.value(QLatin1String("restartPolicy")).toString(), QStringLiteral("OnFailure"));
            QCOMPARE(spec.value(QLatin1String("activeDeadlineSeconds")).toInt(), 900);
            const QJsonObject container = firstContainer(pod);
            const QJsonObject caps = path(container, QStringLiteral("securityContext.capabilities"));
            QCOMPARE(toStrings(caps.value(QLatin1String("add"))), QStringList {QStringLiteral("NET_ADMIN")});
            QCOMPARE(toStrings(caps.value(QLatin1String("drop"))), QStringList {QStringLiteral("ALL")});
            QCOMPARE(toStrings(container.value(QLatin1String("args"))),
                QStringList({QStringLiteral("receive"), QStringLiteral("--vni"), QStringLiteral("4242"),
                    QStringLiteral("--port"), QStringLiteral("8472"), QStringLiteral("--remote"),
                    QStringLiteral("192.0.2.13"), QStringLiteral("--name"), QStringLiteral("ptap4242")}));
        }
    }

    void nodeAgentPodCarriesItsTargetListAndTheSendersShape()
    {
        TapPlan plan = samplePlan();
        plan.direction = Direction::Both;
        plan.interfaceName = QStringLiteral("eth0");
        WorkloadTargetSpec a;
        a.tag = QStringLiteral("shop/cart-1");
        a.containerId = QStringLiteral("containerd://aaaaaaaaaaaaaaaa");
        a.vni = 101;
        a.egressVni = 102;
        WorkloadTargetSpec b = a;
        b.tag = QStringLiteral("shop/cart-2");
        b.containerId = QStringLiteral("cri-o://bbbbbbbbbbbbbbbb");
        b.vni = 201;
        b.egressVni = 0;
        b.direction = Direction::Ingress;
        for (const QJsonObject &pod : {nodeAgentPod(plan, QStringLiteral("worker-2"), {a, b}),
                 reparsedYaml(nodeAgentPod(plan, QStringLiteral("worker-2"), {a, b}))}) {
            const QJsonObject metadata = path(pod, QStringLiteral("metadata"));
            QCOMPARE(metadata.value(QLatin1String("name")).toString(),
                nodeAgentPodName(QStringLiteral("worker-2"), plan.sessionId));
            QCOMPARE(metadata.value(QLatin1String("name")).toString(), QStringLiteral("podtap-worker-2-k3x9q2m7ab"));
            // The labels of a sender, so list, stop, sweep and the sweeper find it.
            const QJsonObject labels = path(metadata, QStringLiteral("labels"));
            QCOMPARE(labels.value(QLatin1String("app.kubernetes.io/managed-by")).toString(), QStringLiteral("podtap"));
            QCOMPARE(labels.value(QLatin1String("app.kubernetes.io/component")).toString(), QStringLiteral("sender"));
            QCOMPARE(labels.value(QLatin1String("podtap.io/session")).toString(), plan.sessionId);
            const QJsonObject annotations = path(metadata, QStringLiteral("annotations"));
            QCOMPARE(annotations.value(QLatin1String("podtap.io/targets")).toString(),
                QStringLiteral("shop/cart-1 --container-id containerd://aaaaaaaaaaaaaaaa --vni 101 --egress-vni 102 "
                               "--interface eth0 --direction both\n"
                               "shop/cart-2 --container-id cri-o://bbbbbbbbbbbbbbbb --vni 201 --interface eth0 "
                               "--direction ingress"));
            QVERIFY(!annotations.value(QLatin1String("podtap.io/heartbeat")).toString().isEmpty());
            QVERIFY(!annotations.contains(QLatin1String("podtap.io/vni"))); // the VNIs are in the list
            QCOMPARE(path(pod, QStringLiteral("spec")).value(QLatin1String("nodeName")).toString(),
                QStringLiteral("worker-2"));
            const QStringList args = toStrings(firstContainer(pod).value(QLatin1String("args")));
            QCOMPARE(args.mid(0, 7),
                QStringList({QStringLiteral("mirror"), QStringLiteral("--targets-file"),
                    QStringLiteral("/etc/podtap/annotations"), QStringLiteral("--targets-key"),
                    QStringLiteral("podtap.io/targets"), QStringLiteral("--remote"), QStringLiteral("198.51.100.20")}));
            QVERIFY(args.contains(QStringLiteral("--session")));
            QVERIFY(args.contains(QStringLiteral("--heartbeat-file")));
            // The contract forbids per-target flags beside --targets-file.
            for (const char *flag : {"--container-id", "--vni", "--egress-vni", "--pod-uid", "--name"}) {
                QVERIFY2(!args.contains(QLatin1String(flag)), flag);
            }
            // The downwardAPI volume the list and heartbeat come through, and the host paths the agent enters by.
            const QJsonArray volumes = path(pod, QStringLiteral("spec")).value(QLatin1String("volumes")).toArray();
            QVERIFY(!byName(volumes, QStringLiteral("podinfo")).isEmpty());
            QVERIFY(!byName(volumes, QStringLiteral("host-proc")).isEmpty());
        }
    }

    void vnisInUseIncludeWorkloadTargetLists()
    {
        TapPlan plan = samplePlan();
        plan.egressVni = 4243;
        plan.direction = Direction::Both;
        WorkloadTargetSpec a;
        a.tag = QStringLiteral("shop/cart-1");
        a.containerId = QStringLiteral("containerd://aaaaaaaaaaaaaaaa");
        a.vni = 101;
        a.egressVni = 102;
        const QJsonArray pods {senderPod(plan), nodeAgentPod(plan, QStringLiteral("worker-2"), {a})};
        QCOMPARE(podtapVnisInUse(pods), (QSet<quint32> {4242, 4243, 101, 102}));
        QCOMPARE(vnisInTargetList(QStringLiteral("# comment\nx/y --vni 7 --egress-vni 99999999\n\nbad --vni")),
            QList<std::uint32_t> {7});
    }

    void streamerPodHoldsWithOnlyWhatAStreamNeeds()
    {
        TapPlan plan = samplePlan();
        plan.destinationIp.clear(); // a stream has no tunnel
        plan.destinationNode.clear();
        plan.vni = 0;
        QVERIFY(validateStreamPlan(plan).isEmpty());
        QVERIFY(!validatePlan(plan).isEmpty()); // the tunnel's pods would need them
        for (const QJsonObject &pod : {streamerPod(plan), reparsedYaml(streamerPod(plan))}) {
            const QJsonObject metadata = path(pod, QStringLiteral("metadata"));
            const QString name = metadata.value(QLatin1String("name")).toString();
            QCOMPARE(name, agentPodName(plan.targetPod, plan.sessionId, AgentRole::Streamer));
            // A fallback creates it while the sender is still terminating: the names must differ.
            QVERIFY(name != agentPodName(plan.targetPod, plan.sessionId, AgentRole::Sender));
            QVERIFY2(name.endsWith(QLatin1String("-st")), qPrintable(name));
            QCOMPARE(
                path(metadata, QStringLiteral("labels")).value(QLatin1String("app.kubernetes.io/component")).toString(),
                QStringLiteral("streamer"));
            QCOMPARE(path(metadata, QStringLiteral("labels")).value(QLatin1String("podtap.io/session")).toString(),
                plan.sessionId);
            const QJsonObject annotations = path(metadata, QStringLiteral("annotations"));
            QVERIFY(annotations.contains(QLatin1String("podtap.io/heartbeat")));
            QVERIFY2(!annotations.contains(QLatin1String("podtap.io/vni")), "a stream holds no VNI on the node");
            const QJsonObject spec = path(pod, QStringLiteral("spec"));
            QCOMPARE(spec.value(QLatin1String("nodeName")).toString(), QStringLiteral("worker-3"));
            QCOMPARE(spec.value(QLatin1String("activeDeadlineSeconds")).toInt(), 900);
            const QJsonObject container = firstContainer(pod);
            const QJsonObject security = container.value(QLatin1String("securityContext")).toObject();
            const QStringList caps =
                toStrings(path(security, QStringLiteral("capabilities")).value(QLatin1String("add")));
            // No NET_ADMIN: a stream adds no device and no filter. NET_RAW for AF_PACKET; entering the netns as
            // the mirror does.
            QCOMPARE(QSet<QString>(caps.cbegin(), caps.cend()),
                QSet<QString>({QStringLiteral("NET_RAW"), QStringLiteral("SYS_ADMIN"), QStringLiteral("SYS_PTRACE")}));
            QVERIFY(!security.contains(QLatin1String("privileged")));
            QCOMPARE(security.value(QLatin1String("readOnlyRootFilesystem")), QJsonValue(true));
            QCOMPARE(toStrings(container.value(QLatin1String("args"))),
                QStringList({QStringLiteral("hold"), QStringLiteral("--session"), plan.sessionId,
                    QStringLiteral("--heartbeat-file"), QStringLiteral("/etc/podtap/annotations"),
                    QStringLiteral("--heartbeat-timeout"), QString::number(plan.heartbeatTimeoutSeconds)}));
            QStringList mountPaths;
            for (const QJsonValue &m : container.value(QLatin1String("volumeMounts")).toArray()) {
                mountPaths << m.toObject().value(QLatin1String("mountPath")).toString();
            }
            QVERIFY2(mountPaths.contains(QLatin1String("/host/proc")), qPrintable(mountPaths.join(u',')));
            QVERIFY2(mountPaths.contains(QLatin1String("/etc/podtap")), qPrintable(mountPaths.join(u',')));
        }
    }

    void streamCommandNamesTargetAndInterface()
    {
        TapPlan plan = samplePlan();
        plan.bpfBytecode = QStringLiteral("4,40 0 0 12,21 0 1 2048,6 0 0 65535,6 0 0 0");
        plan.snaplen = 256;
        const QStringList command = streamAgentCommand(plan);
        QCOMPARE(command.mid(0, 2), QStringList({QStringLiteral("/podtap-agent"), QStringLiteral("stream")}));
        const auto valueOf = [&](const QString &flag) {
            const qsizetype i = command.indexOf(flag);
            return i < 0 || i + 1 >= command.size() ? QString() : command.at(i + 1);
        };
        QCOMPARE(valueOf(QStringLiteral("--container-id")), plan.containerId);
        QCOMPARE(valueOf(QStringLiteral("--interface")), QStringLiteral("net1"));
        QCOMPARE(valueOf(QStringLiteral("--direction")), QStringLiteral("ingress"));
        QCOMPARE(valueOf(QStringLiteral("--if-name")), QStringLiteral("shop/cart-7d9f8-x2k4q/net1"));
        QCOMPARE(valueOf(QStringLiteral("--bpf")), plan.bpfBytecode);
        QCOMPARE(valueOf(QStringLiteral("--snaplen")), QStringLiteral("256"));
        QCOMPARE(valueOf(QStringLiteral("--proc-root")), QStringLiteral("/host/proc"));
        QVERIFY(!command.contains(QStringLiteral("--vni")));
        QVERIFY(!command.contains(QStringLiteral("--remote")));
        plan.bpfBytecode.clear();
        plan.snaplen = 0;
        QVERIFY(!streamAgentCommand(plan).contains(QStringLiteral("--bpf")));
        QVERIFY(!streamAgentCommand(plan).contains(QStringLiteral("--snaplen")));
    }

    void namesFitAndNeverCollide()
    {
        const QString longPod =
            QStringLiteral("checkout-service-with-an-extremely-long-deployment-name-7d9f8b6c5d-x2k4q");
        QSet<QString> names;
        for (int i = 0; i < 1000; ++i) {
            const QString session = generateSessionId();
            QVERIFY(isValidSessionId(session));
            for (const AgentRole role : {AgentRole::Sender, AgentRole::Receiver}) {
                const QString name = agentPodName(longPod, session, role);
                QVERIFY2(name.size() <= 63, qPrintable(name));
                QVERIFY2(isDnsLabel(name), qPrintable(name));
                QVERIFY2(name.contains(session), qPrintable(name));
                names.insert(name);
            }
        }
        QCOMPARE(names.size(), 2000);
    }

    void namesFromAwkwardTargets_data()
    {
        QTest::addColumn<QString>("pod");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << "web-0"
                               << "podtap-web-0-abcde12345";
        QTest::newRow("dots") << "web.v2.example"
                              << "podtap-web-v2-example-abcde12345";
        QTest::newRow("cut on a dash") << "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbb"
                                       << "podtap-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-abcde12345";
        QTest::newRow("empty") << ""
                               << "podtap-abcde12345";
        QTest::newRow("hostile") << "--..UPPER__/x"
                                 << "podtap-upper-x-abcde12345";
    }

    void namesFromAwkwardTargets()
    {
        QFETCH(QString, pod);
        QFETCH(QString, expected);
        const QString name = agentPodName(pod, QStringLiteral("abcde12345"), AgentRole::Sender);
        QCOMPARE(name, expected);
        QVERIFY(isDnsLabel(name));
    }

    void sessionIdValidator()
    {
        QVERIFY(isValidSessionId(QStringLiteral("a1b2c3d4e5")));
        QVERIFY(!isValidSessionId(QStringLiteral("A1b2c3d4e5")));
        QVERIFY(!isValidSessionId(QStringLiteral("a1b2c3d4e")));
        QVERIFY(!isValidSessionId(QStringLiteral("a1b2c3d4e5f")));
        QVERIFY(!isValidSessionId(QStringLiteral("a1b2-3d4e5")));
        QVERIFY(!isValidSessionId(QString()));
    }

    void planValidationNamesWhatIsMissing()
    {
        QVERIFY(validatePlan(samplePlan()).isEmpty());
        TapPlan plan = samplePlan();
        plan.targetNodeIp.clear();
        plan.containerId = QStringLiteral("x; rm -rf /");
        plan.vni = 0;
        plan.sessionId = QStringLiteral("bad");
        QStringList fields;
        for (const ValidationProblem &p : validatePlan(plan)) {
            fields << p.field;
        }
        QCOMPARE(fields,
            QStringList({QStringLiteral("session ID"), QStringLiteral("target node IP"), QStringLiteral("container ID"),
                QStringLiteral("VNI")}));
    }

    void planFromRequest()
    {
        TapRequest request;
        request.targetNamespace = QStringLiteral("shop");
        request.pod = QStringLiteral("cart");
        request.destination = Destination {Destination::Kind::Node, QStringLiteral("worker-2")};
        request.vni = 77;
        request.agentNamespace = QStringLiteral("agents");
        const TapPlan plan = TapPlan::fromRequest(request, QStringLiteral("abcde12345"));
        QCOMPARE(plan.destinationNode, QStringLiteral("worker-2"));
        QCOMPARE(plan.vni, 77u);
        QCOMPARE(plan.agentNamespace, QStringLiteral("agents"));
        QCOMPARE(plan.effectiveReceiverInterfaceName(), QStringLiteral("ptap77"));
        // Pinned to this console's own version, never a mutable tag.
        QCOMPARE(plan.effectiveImage(), QStringLiteral("ghcr.io/podtap/podtap-agent:") + QLatin1String(kVersion));
        QVERIFY(!plan.effectiveImage().endsWith(QLatin1String(":latest")));
    }

    void resolvesTargetFromPodStatus()
    {
        const QByteArray podJson =
            "{\"metadata\":{\"name\":\"cart\",\"namespace\":\"shop\"},"
            "\"spec\":{\"nodeName\":\"worker-3\"},"
            "\"status\":{\"phase\":\"Running\",\"podIP\":\"203.0.113.5\",\"containerStatuses\":["
            "{\"name\":\"init-ish\",\"containerID\":\"containerd://dead00000000\",\"state\":{\"terminated\":{}}},"
            "{\"name\":\"app\",\"containerID\":\"containerd://0123456789abcdef\",\"state\":{\"running\":{}}}]}}";
        QString error;
        const auto target = targetFromPod(QJsonDocument::fromJson(podJson).object(), &error);
        QVERIFY2(target, qPrintable(error));
        QCOMPARE(target->node, QStringLiteral("worker-3"));
        QCOMPARE(target->containerId, QStringLiteral("containerd://0123456789abcdef"));
        QCOMPARE(target->podIp, QStringLiteral("203.0.113.5"));

        const QByteArray pending =
            "{\"metadata\":{\"name\":\"cart\",\"namespace\":\"shop\"},\"spec\":{},\"status\":{\"phase\":\"Pending\"}}";
        QVERIFY(!targetFromPod(QJsonDocument::fromJson(pending).object(), &error));
        QVERIFY2(
            error.contains(QLatin1String("shop/cart")) && error.contains(QLatin1String("Pending")), qPrintable(error));

        const QByteArray node =
            "{\"metadata\":{\"name\":\"worker-3\"},\"status\":{\"addresses\":["
            "{\"type\":\"Hostname\",\"address\":\"worker-3\"},{\"type\":\"ExternalIP\",\"address\":\"198.51.100.3\"},"
            "{\"type\":\"InternalIP\",\"address\":\"192.0.2.3\"}]}}";
        QCOMPARE(nodeInternalIp(QJsonDocument::fromJson(node).object(), &error), QStringLiteral("192.0.2.3"));
        const QByteArray bare = "{\"metadata\":{\"name\":\"worker-4\"},\"status\":{\"addresses\":[{\"type\":"
                                "\"Hostname\",\"address\":\"x\"}]}}";
        QVERIFY(nodeInternalIp(QJsonDocument::fromJson(bare).object(), &error).isEmpty());
        QVERIFY2(error.contains(QLatin1String("worker-4")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestAgentPodSpec)
#include "tst_agent_pod_spec.moc"
