// SPDX-License-Identifier: Apache-2.0
#include "tap/agent_pod_spec.h"

#include "common/text_escape.h"
#include "podtap/version.h"
#include "tap/agent_event.h"
#include "tap/session_id.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSysInfo>

namespace podtap {
namespace {

constexpr qsizetype kMaxNameLength = 63;

QJsonArray strings(const QStringList &list)
{
    QJsonArray array;
    for (const QString &s : list) {
        array.append(s);
    }
    return array;
}

QJsonObject objectMeta(const TapPlan &plan, AgentRole role, const QString &name = {}, const QString &target = {})
{
    const QJsonObject labels {
        {QLatin1String(kLabelName), QStringLiteral("podtap")},
        {QLatin1String(kLabelManagedBy), QStringLiteral("podtap")},
        {QLatin1String(kLabelComponent), agentRoleName(role)},
        {QLatin1String(kLabelSession), plan.sessionId},
    };
    QJsonObject annotations {
        {QLatin1String(kAnnotationTarget), target.isEmpty() ? plan.targetReference() : target},
        {QLatin1String(kAnnotationRequestedBy), plan.requestedBy.isEmpty() ? defaultRequester() : plan.requestedBy},
        {QLatin1String(kAnnotationHeartbeat),
            plan.heartbeatTimeoutSeconds == 0
                ? QString::fromLatin1(kNoHeartbeat)
                : heartbeatTimestamp(plan.heartbeat.isValid() ? plan.heartbeat : QDateTime::currentDateTimeUtc())},
    };
    if (role != AgentRole::Streamer && plan.vni != 0) {
        // A stream has no tunnel, so it holds no VNI on the node.
        annotations.insert(QLatin1String(kAnnotationVni), QString::number(plan.vni));
    }
    if (plan.egressVni != 0 && plan.direction != Direction::Ingress && role == AgentRole::Sender) {
        // Other sessions' planners avoid it on this node (the kernel refuses a second device with it).
        annotations.insert(QLatin1String(kAnnotationEgressVni), QString::number(plan.egressVni));
    }
    return QJsonObject {
        {QStringLiteral("name"), name.isEmpty() ? agentPodName(plan.targetPod, plan.sessionId, role) : name},
        {QStringLiteral("namespace"), plan.agentNamespace},
        {QStringLiteral("labels"), labels},
        {QStringLiteral("annotations"), annotations},
    };
}

QJsonObject containerSecurityContext(const TapPlan &plan, const QStringList &capabilities)
{
    QJsonObject context {
        {QStringLiteral("capabilities"),
            QJsonObject {
                {QStringLiteral("drop"), QJsonArray {QStringLiteral("ALL")}},
                {QStringLiteral("add"), strings(capabilities)},
            }},
        {QStringLiteral("readOnlyRootFilesystem"), true},
        // The agent needs root for its capabilities to be effective; it holds no credentials.
        {QStringLiteral("runAsUser"), 0},
        {QStringLiteral("runAsNonRoot"), false},
    };
    if (plan.privileged) {
        context.insert(QStringLiteral("privileged"), true);
    } else {
        // The API refuses allowPrivilegeEscalation=false together with privileged=true.
        context.insert(QStringLiteral("allowPrivilegeEscalation"), false);
    }
    return context;
}

QJsonObject resources()
{
    return QJsonObject {
        {QStringLiteral("requests"),
            QJsonObject {
                {QStringLiteral("cpu"), QStringLiteral("10m")}, {QStringLiteral("memory"), QStringLiteral("16Mi")}}},
        {QStringLiteral("limits"),
            QJsonObject {
                {QStringLiteral("cpu"), QStringLiteral("500m")}, {QStringLiteral("memory"), QStringLiteral("64Mi")}}},
    };
}

QJsonObject volumeMount(const QString &name, const QString &path, bool readOnly, const QString &propagation = {})
{
    QJsonObject mount {
        {QStringLiteral("name"), name},
        {QStringLiteral("mountPath"), path},
        {QStringLiteral("readOnly"), readOnly},
    };
    if (!propagation.isEmpty()) {
        mount.insert(QStringLiteral("mountPropagation"), propagation);
    }
    return mount;
}

QJsonObject hostPathVolume(const QString &name, const QString &path, const QString &type)
{
    return QJsonObject {
        {QStringLiteral("name"), name},
        {QStringLiteral("hostPath"), QJsonObject {{QStringLiteral("path"), path}, {QStringLiteral("type"), type}}},
    };
}

QJsonObject podInfoVolume()
{
    const QJsonObject item {
        {QStringLiteral("path"), QStringLiteral("annotations")},
        {QStringLiteral("fieldRef"),
            QJsonObject {{QStringLiteral("fieldPath"), QStringLiteral("metadata.annotations")}}},
    };
    return QJsonObject {
        {QStringLiteral("name"), QStringLiteral("podinfo")},
        {QStringLiteral("downwardAPI"), QJsonObject {{QStringLiteral("items"), QJsonArray {item}}}},
    };
}

QJsonObject pod(const TapPlan &plan, AgentRole role, const QString &nodeName, const QStringList &args,
    const QJsonObject &metadata = {})
{
    // Both the sender and the streamer find the target's netns through the host's /proc and enter it.
    const bool entersTarget = role == AgentRole::Sender || role == AgentRole::Streamer;
    QJsonArray mounts {volumeMount(QStringLiteral("podinfo"), QLatin1String(kAgentPodInfoDir), true)};
    QJsonArray volumes {podInfoVolume()};
    if (entersTarget) {
        mounts.append(volumeMount(QStringLiteral("host-proc"), QLatin1String(kAgentProcRoot), true));
        // Named netns created after the pod started must appear inside it too.
        mounts.append(volumeMount(
            QStringLiteral("host-netns"), QLatin1String(kAgentNetnsDir), true, QStringLiteral("HostToContainer")));
        volumes.append(
            hostPathVolume(QStringLiteral("host-proc"), QStringLiteral("/proc"), QStringLiteral("Directory")));
        volumes.append(hostPathVolume(
            QStringLiteral("host-netns"), QStringLiteral("/var/run/netns"), QStringLiteral("DirectoryOrCreate")));
    }
    QStringList capabilities;
    switch (role) {
    case AgentRole::Sender:
        capabilities = {QStringLiteral("NET_ADMIN"), QStringLiteral("SYS_ADMIN"), QStringLiteral("SYS_PTRACE")};
        break;
    case AgentRole::Receiver:
        capabilities = {QStringLiteral("NET_ADMIN")};
        break;
    case AgentRole::Streamer:
        // `stream` adds no device and no tc filter, so no NET_ADMIN. It enters the target's netns as the mirror
        // does (SYS_PTRACE to open /proc/<pid>/ns/net of another PID namespace's process, SYS_ADMIN for setns)
        // and opens an AF_PACKET socket there (NET_RAW). `hold`, the pod's own process, needs none of them; the
        // exec'd `stream` gets them from the container's capability set.
        capabilities = {QStringLiteral("NET_RAW"), QStringLiteral("SYS_ADMIN"), QStringLiteral("SYS_PTRACE")};
        break;
    }
    const QJsonObject container {
        {QStringLiteral("name"), QStringLiteral("agent")},
        {QStringLiteral("image"), plan.effectiveImage()},
        {QStringLiteral("imagePullPolicy"), QStringLiteral("IfNotPresent")},
        {QStringLiteral("args"), strings(args)},
        {QStringLiteral("resources"), resources()},
        {QStringLiteral("securityContext"), containerSecurityContext(plan, capabilities)},
        {QStringLiteral("volumeMounts"), mounts},
        {QStringLiteral("terminationMessagePolicy"), QStringLiteral("FallbackToLogsOnError")},
    };
    QJsonObject spec {
        {QStringLiteral("nodeName"), nodeName},
        {QStringLiteral("hostNetwork"), true},
        {QStringLiteral("restartPolicy"), QStringLiteral("OnFailure")},
        {QStringLiteral("activeDeadlineSeconds"), qint64(plan.maxDuration.count())},
        {QStringLiteral("terminationGracePeriodSeconds"), 10},
        // The agent makes no API calls: no token in the pod at all.
        {QStringLiteral("automountServiceAccountToken"), false},
        {QStringLiteral("enableServiceLinks"), false},
        {QStringLiteral("securityContext"),
            QJsonObject {{QStringLiteral("seccompProfile"),
                QJsonObject {{QStringLiteral("type"), QStringLiteral("RuntimeDefault")}}}}},
        // Taps are for troubleshooting: a tainted or cordoned node is exactly where one is needed.
        {QStringLiteral("tolerations"),
            QJsonArray {QJsonObject {{QStringLiteral("operator"), QStringLiteral("Exists")}}}},
        {QStringLiteral("containers"), QJsonArray {container}},
        {QStringLiteral("volumes"), volumes},
    };
    // No hostPID: the agent reaches the target's network namespace through the host's /proc
    // (hostPath above) with CAP_SYS_PTRACE, which works from the pod's own PID namespace.
    return QJsonObject {
        {QStringLiteral("apiVersion"), QStringLiteral("v1")},
        {QStringLiteral("kind"), QStringLiteral("Pod")},
        {QStringLiteral("metadata"), metadata.isEmpty() ? objectMeta(plan, role) : metadata},
        {QStringLiteral("spec"), spec},
    };
}

// Lowercase, [a-z0-9-] only, runs of anything else become one '-', no '-' at either end.
QString nameFragment(const QString &text)
{
    QString out;
    for (const QChar c : text.toLower()) {
        const bool alnum =
            (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('0') && c <= QLatin1Char('9'));
        if (alnum) {
            out += c;
        } else if (!out.isEmpty() && !out.endsWith(QLatin1Char('-'))) {
            out += QLatin1Char('-');
        }
    }
    while (out.endsWith(QLatin1Char('-'))) {
        out.chop(1);
    }
    return out;
}

ValidationProblem planProblem(const QString &field, const QString &value, const QString &rule)
{
    return ValidationProblem {field, quoteForMessage(value), rule};
}

} // namespace

QString agentRoleName(AgentRole role)
{
    switch (role) {
    case AgentRole::Sender:
        return QStringLiteral("sender");
    case AgentRole::Receiver:
        return QStringLiteral("receiver");
    case AgentRole::Streamer:
        return QStringLiteral("streamer");
    }
    return {};
}

TapPlan TapPlan::fromRequest(const TapRequest &request, const QString &sessionId)
{
    TapPlan plan;
    plan.sessionId = sessionId;
    plan.targetNamespace = request.targetNamespace;
    plan.targetPod = request.pod;
    plan.interfaceName = request.interfaceName;
    plan.direction = request.direction;
    if (request.destination.kind == Destination::Kind::Node) {
        plan.destinationNode = request.destination.value;
    } else if (request.destination.kind == Destination::Kind::Ip) {
        plan.destinationIp = request.destination.value;
    }
    plan.vni = request.vni.value_or(0);
    plan.port = request.port;
    plan.maxDuration = request.maxDuration;
    plan.agentNamespace = request.agentNamespace;
    plan.agentImage = request.agentImage;
    return plan;
}

QString TapPlan::defaultImage()
{
    return QStringLiteral("%1:%2").arg(QLatin1String(kImageRepository), QLatin1String(kVersion));
}

QString agentContractProblem(int contract, const QString &version, const QString &image)
{
    if (contract == kAgentContract) {
        return {};
    }
    const QString agent = version.isEmpty() ? QStringLiteral("an agent that reports no version")
                                            : QStringLiteral("podtap-agent %1").arg(version);
    const QString level = contract > 0 ? QStringLiteral("contract %1").arg(contract)
                                       : QStringLiteral("no contract level (it predates them)");
    return QStringLiteral("The agent image %1 runs %2, which speaks %3; this console (podtap %4) "
                          "speaks contract %5. Use the agent image of this console's version: --image %6 (or leave "
                          "--image out), and make sure the node can pull it.")
        .arg(image, agent, level, QLatin1String(kVersion))
        .arg(kAgentContract)
        .arg(TapPlan::defaultImage());
}

QString TapPlan::effectiveImage() const
{
    return agentImage.isEmpty() ? defaultImage() : agentImage;
}

QString TapPlan::effectiveReceiverInterfaceName() const
{
    return receiverInterfaceName.isEmpty() ? QStringLiteral("ptap%1").arg(vni) : receiverInterfaceName;
}

QString TapPlan::targetReference() const
{
    return QStringLiteral("%1/%2/%3").arg(targetNamespace, targetPod, interfaceName);
}

QString defaultRequester()
{
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty()) {
        user = qEnvironmentVariable("LOGNAME", QStringLiteral("unknown"));
    }
    QString host = QSysInfo::machineHostName();
    if (host.isEmpty()) {
        host = QStringLiteral("localhost");
    }
    return user + QLatin1Char('@') + host;
}

QString heartbeatTimestamp(const QDateTime &time)
{
    return time.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ssZ"));
}

QString agentPodName(const QString &targetPod, const QString &sessionId, AgentRole role)
{
    const QString prefix = QStringLiteral("podtap-");
    QString suffix = QLatin1Char('-') + nameFragment(sessionId);
    if (role == AgentRole::Receiver) {
        suffix += QStringLiteral("-rx");
    } else if (role == AgentRole::Streamer) {
        suffix += QStringLiteral("-st");
    }
    QString target = nameFragment(targetPod);
    const qsizetype room = kMaxNameLength - prefix.size() - suffix.size();
    if (target.size() > room) {
        target.truncate(qMax<qsizetype>(room, 0));
        while (target.endsWith(QLatin1Char('-'))) {
            target.chop(1);
        }
    }
    if (target.isEmpty()) {
        return QStringLiteral("podtap") + suffix;
    }
    return prefix + target + suffix;
}

namespace {

/// What every mirroring agent's command line ends with: the capture filter, the session, the heartbeat and where
/// the host's /proc and named network namespaces are mounted.
void appendMirrorTail(QStringList &args, const TapPlan &plan)
{
    if (!plan.bpfBytecode.isEmpty()) {
        args << QStringLiteral("--bpf") << plan.bpfBytecode;
    }
    args << QStringLiteral("--session") << plan.sessionId;
    if (plan.heartbeatTimeoutSeconds > 0) {
        args << QStringLiteral("--heartbeat-file") << QLatin1String(kAgentHeartbeatFile)
             << QStringLiteral("--heartbeat-timeout") << QString::number(plan.heartbeatTimeoutSeconds);
    }
    args << QStringLiteral("--proc-root") << QLatin1String(kAgentProcRoot) << QStringLiteral("--netns-dir")
         << QLatin1String(kAgentNetnsDir);
}

} // namespace

QStringList senderAgentArgs(const TapPlan &plan)
{
    QStringList args {
        QStringLiteral("mirror"),
        QStringLiteral("--container-id"),
        plan.containerId,
        QStringLiteral("--vni"),
        QString::number(plan.vni),
        QStringLiteral("--remote"),
        plan.destinationIp,
        QStringLiteral("--port"),
        QString::number(plan.port),
        QStringLiteral("--interface"),
        plan.interfaceName,
        QStringLiteral("--direction"),
        directionName(plan.direction),
    };
    if (plan.egressVni != 0 && plan.direction != Direction::Ingress) {
        args << QStringLiteral("--egress-vni") << QString::number(plan.egressVni);
    }
    appendMirrorTail(args, plan);
    return args;
}

QStringList receiverAgentArgs(const TapPlan &plan)
{
    return QStringList {
        QStringLiteral("receive"),
        QStringLiteral("--vni"),
        QString::number(plan.vni),
        QStringLiteral("--port"),
        QString::number(plan.port),
        QStringLiteral("--remote"),
        plan.targetNodeIp,
        QStringLiteral("--name"),
        plan.effectiveReceiverInterfaceName(),
    };
}

QStringList holdAgentArgs(const TapPlan &plan)
{
    QStringList args {QStringLiteral("hold"), QStringLiteral("--session"), plan.sessionId};
    if (plan.heartbeatTimeoutSeconds > 0) {
        args << QStringLiteral("--heartbeat-file") << QLatin1String(kAgentHeartbeatFile)
             << QStringLiteral("--heartbeat-timeout") << QString::number(plan.heartbeatTimeoutSeconds);
    }
    return args;
}

QStringList streamAgentCommand(const TapPlan &plan)
{
    QStringList command {
        QLatin1String(kAgentExecutablePath),
        QStringLiteral("stream"),
        QStringLiteral("--container-id"),
        plan.containerId,
        QStringLiteral("--interface"),
        plan.interfaceName,
        QStringLiteral("--direction"),
        directionName(plan.direction),
        // The pcapng interface is named like the userspace receiver's, so a capture reads the same either way.
        QStringLiteral("--if-name"),
        plan.targetReference(),
    };
    if (!plan.bpfBytecode.isEmpty()) {
        command << QStringLiteral("--bpf") << plan.bpfBytecode;
    }
    if (plan.snaplen > 0) {
        command << QStringLiteral("--snaplen") << QString::number(plan.snaplen);
    }
    // The same heartbeat as the pod's own `hold`: a stream outliving a console that vanished ends by itself too.
    if (plan.heartbeatTimeoutSeconds > 0) {
        command << QStringLiteral("--heartbeat-file") << QLatin1String(kAgentHeartbeatFile)
                << QStringLiteral("--heartbeat-timeout") << QString::number(plan.heartbeatTimeoutSeconds);
    }
    command << QStringLiteral("--proc-root") << QLatin1String(kAgentProcRoot) << QStringLiteral("--netns-dir")
            << QLatin1String(kAgentNetnsDir);
    return command;
}

QString workloadTargetLine(const WorkloadTargetSpec &target)
{
    QStringList words {target.tag, QStringLiteral("--container-id"), target.containerId, QStringLiteral("--vni"),
        QString::number(target.vni)};
    if (target.egressVni != 0 && target.direction != Direction::Ingress) {
        words << QStringLiteral("--egress-vni") << QString::number(target.egressVni);
    }
    words << QStringLiteral("--interface") << target.interfaceName << QStringLiteral("--direction")
          << directionName(target.direction);
    return words.join(QLatin1Char(' '));
}

QString workloadTargetList(const QList<WorkloadTargetSpec> &targets)
{
    QStringList lines;
    for (const WorkloadTargetSpec &target : targets) {
        lines << workloadTargetLine(target);
    }
    return lines.join(QLatin1Char('\n'));
}

QList<std::uint32_t> vnisInTargetList(const QString &list)
{
    QList<std::uint32_t> vnis;
    for (const QString &line : list.split(QLatin1Char('\n'))) {
        const QStringList words = line.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
        for (qsizetype i = 1; i + 1 < words.size(); ++i) {
            if (words[i] == QLatin1String("--vni") || words[i] == QLatin1String("--egress-vni")) {
                bool ok = false;
                const uint vni = words[i + 1].toUInt(&ok);
                if (ok && vni >= 1 && vni <= TapRequest::kMaxVni) {
                    vnis << vni;
                }
            }
        }
    }
    return vnis;
}

QStringList multiSenderAgentArgs(const TapPlan &plan)
{
    QStringList args {
        QStringLiteral("mirror"),
        QStringLiteral("--targets-file"),
        QLatin1String(kAgentHeartbeatFile), // the pod's annotations (downwardAPI), rewritten when they change
        QStringLiteral("--targets-key"),
        QLatin1String(kAnnotationTargets),
        QStringLiteral("--remote"),
        plan.destinationIp,
        QStringLiteral("--port"),
        QString::number(plan.port),
        QStringLiteral("--interface"),
        plan.interfaceName,
        QStringLiteral("--direction"),
        directionName(plan.direction),
    };
    appendMirrorTail(args, plan);
    return args;
}

QString nodeAgentPodName(const QString &node, const QString &sessionId)
{
    return agentPodName(node, sessionId, AgentRole::Sender);
}

QJsonObject nodeAgentPod(const TapPlan &plan, const QString &node, const QList<WorkloadTargetSpec> &targets)
{
    TapPlan nodePlan = plan;
    nodePlan.vni = 0; // the VNIs are in the target list, which other planners read
    nodePlan.egressVni = 0;
    // podtap.io/target says what the agent taps, for `podtapctl list`: the first pod and how many more.
    const QString target = targets.isEmpty() ? QStringLiteral("(no pods yet on %1)").arg(node)
        : targets.size() == 1
        ? QStringLiteral("%1/%2").arg(targets.first().tag, plan.interfaceName)
        : QStringLiteral("%1/%2 +%3").arg(targets.first().tag, plan.interfaceName).arg(targets.size() - 1);
    QJsonObject metadata = objectMeta(nodePlan, AgentRole::Sender, nodeAgentPodName(node, plan.sessionId), target);
    QJsonObject annotations = metadata.value(QLatin1String("annotations")).toObject();
    annotations.insert(QLatin1String(kAnnotationTargets), workloadTargetList(targets));
    metadata.insert(QStringLiteral("annotations"), annotations);
    return pod(nodePlan, AgentRole::Sender, node, multiSenderAgentArgs(nodePlan), metadata);
}

QJsonObject streamerPod(const TapPlan &plan)
{
    return pod(plan, AgentRole::Streamer, plan.targetNode, holdAgentArgs(plan));
}

QJsonObject senderPod(const TapPlan &plan)
{
    return pod(plan, AgentRole::Sender, plan.targetNode, senderAgentArgs(plan));
}

QJsonObject receiverPod(const TapPlan &plan)
{
    return pod(plan, AgentRole::Receiver, plan.destinationNode, receiverAgentArgs(plan));
}

namespace {

// What every agent pod on the target's node needs, tunnel or not.
ValidationProblems validateTargetPlan(const TapPlan &plan)
{
    ValidationProblems problems;
    if (!isValidSessionId(plan.sessionId)) {
        problems += planProblem(QStringLiteral("session ID"), plan.sessionId,
            QStringLiteral("must be %1 characters of a-z and 0-9; make one with generateSessionId()")
                .arg(kSessionIdLength));
    }
    problems += validateDnsLabel(QStringLiteral("namespace"), plan.targetNamespace);
    problems += validateDnsSubdomain(QStringLiteral("pod"), plan.targetPod);
    if (!isInterfaceName(plan.interfaceName)) {
        problems += planProblem(
            QStringLiteral("interface"), plan.interfaceName, QStringLiteral("must be a Linux interface name"));
    }
    problems += validateDnsSubdomain(QStringLiteral("target node"), plan.targetNode);
    if (!isIpLiteral(plan.targetNodeIp)) {
        problems += planProblem(QStringLiteral("target node IP"), plan.targetNodeIp,
            QStringLiteral("must be the node's InternalIP; the node reports none, so the tunnel has no source"));
    }
    static const QRegularExpression containerIdRe(QStringLiteral("^(?:[a-z0-9-]+://)?[A-Za-z0-9]{12,128}$"));
    if (!containerIdRe.match(plan.containerId).hasMatch()) {
        problems += planProblem(QStringLiteral("container ID"), plan.containerId,
            QStringLiteral(
                "must be a running container's ID (status.containerStatuses[].containerID); wait until the pod runs"));
    }
    if (plan.maxDuration < TapRequest::kMinDuration || plan.maxDuration > TapRequest::kMaxDuration) {
        problems += planProblem(QStringLiteral("maximum duration"), QStringLiteral("%1s").arg(plan.maxDuration.count()),
            QStringLiteral("must be between %1 s and %2 s")
                .arg(TapRequest::kMinDuration.count())
                .arg(TapRequest::kMaxDuration.count()));
    }
    problems += validateDnsLabel(QStringLiteral("agent namespace"), plan.agentNamespace);
    return problems;
}

} // namespace

ValidationProblems validateStreamPlan(const TapPlan &plan)
{
    return validateTargetPlan(plan);
}

ValidationProblems validatePlan(const TapPlan &plan)
{
    ValidationProblems problems = validateTargetPlan(plan);
    if (!isIpLiteral(plan.destinationIp)) {
        problems += planProblem(
            QStringLiteral("destination IP"), plan.destinationIp, QStringLiteral("must be an IPv4 or IPv6 address"));
    }
    if (!plan.destinationNode.isEmpty()) {
        problems += validateDnsSubdomain(QStringLiteral("destination node"), plan.destinationNode);
    }
    if (plan.vni < 1 || plan.vni > TapRequest::kMaxVni) {
        problems += planProblem(QStringLiteral("VNI"), QString::number(plan.vni),
            QStringLiteral("must be between 1 and %1").arg(TapRequest::kMaxVni));
    }
    if (plan.egressVni != 0 && (plan.egressVni == plan.vni || plan.egressVni > TapRequest::kMaxVni)) {
        problems += planProblem(QStringLiteral("egress VNI"), QString::number(plan.egressVni),
            QStringLiteral("must differ from the VNI (%1) and be between 1 and %2, or 0 for one VNI for both "
                           "directions")
                .arg(plan.vni)
                .arg(TapRequest::kMaxVni));
    }
    if (plan.port < 1 || plan.port > 65535) {
        problems += planProblem(
            QStringLiteral("port"), QString::number(plan.port), QStringLiteral("must be between 1 and 65535"));
    }
    if (!plan.receiverInterfaceName.isEmpty() && !isInterfaceName(plan.receiverInterfaceName)) {
        problems += planProblem(QStringLiteral("receiver interface"), plan.receiverInterfaceName,
            QStringLiteral("must be a Linux interface name of at most 15 bytes"));
    }
    return problems;
}

} // namespace podtap
