// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "common/defaults.h"
#include "tap/tap_request.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <chrono>
#include <cstdint>

namespace podtap {

/// The role of an agent pod; it becomes the `app.kubernetes.io/component` label. A Streamer idles
/// (`podtap-agent hold`) until the console runs `podtap-agent stream` in it through `pods/exec`.
enum class AgentRole { Sender, Receiver, Streamer };

QString agentRoleName(AgentRole role); ///< "sender", "receiver" or "streamer"

/// @brief Everything resolved for one tap: the target, where it runs, and where its mirror goes.
///
/// Filled from a validated TapRequest plus what the API server told (node, node IP, container ID)
/// and what podtap chose (session ID, VNI, destination IP). The pod builders read only this.
struct TapPlan
{
    /// The agent image's repository; the default tag is this console's own version (defaultImage()),
    /// never a mutable tag, so a node never runs a stale agent that speaks another contract.
    static constexpr auto kImageRepository = "ghcr.io/podtap/podtap-agent";
    static constexpr auto kDefaultAgentNamespace = ::podtap::kDefaultAgentNamespace;
    static constexpr int kDefaultHeartbeatTimeoutSeconds = ::podtap::kDefaultHeartbeatTimeoutSeconds;

    QString sessionId; ///< generateSessionId()

    // The target.
    QString targetNamespace;
    QString targetPod;
    QString interfaceName = QStringLiteral("eth0");
    Direction direction = Direction::Both;
    QString targetNode; ///< spec.nodeName of the target pod: the sender runs there
    QString targetNodeIp; ///< that node's InternalIP: the tunnel's source
    QString containerId; ///< any running container of the target, with or without a runtime:// prefix

    // The tunnel.
    QString destinationIp; ///< where the sender sends VXLAN
    QString destinationNode; ///< set only when the destination is a node: a receiver pod runs there
    std::uint32_t vni = 0;
    /// 0: one VXLAN device carries both hooks (kokotap's behaviour; `podtapctl manifest`). Otherwise the
    /// sender sends egress frames with this VNI (`--egress-vni`) and ingress frames with vni, so a receiver
    /// tells the direction from the VNI. Not passed for Direction::Ingress, which has no egress frames.
    std::uint32_t egressVni = 0;
    int port = TapRequest::kDefaultPort;
    QString receiverInterfaceName; ///< VXLAN device on the receiving side; empty: ptap<vni>
    QString bpfBytecode; ///< compiled capture filter (CompiledFilter::toArgument()); empty: mirror everything
    /// For the stream: bytes kept of each frame (`--snaplen`); 0: the agent's default (whole frames).
    std::uint32_t snaplen = 0;

    // The agent pods.
    QString agentNamespace = QString::fromLatin1(kDefaultAgentNamespace);
    QString agentImage; ///< empty: defaultImage()
    std::chrono::seconds maxDuration = TapRequest::kDefaultMaxDuration;
    /// 0: no console keeps the tap alive (`podtapctl manifest`): the agent gets no heartbeat file,
    /// the pod carries `podtap.io/heartbeat: none`, and the tap ends with `kubectl delete` or at
    /// maxDuration.
    int heartbeatTimeoutSeconds = kDefaultHeartbeatTimeoutSeconds;
    bool privileged = false; ///< only when the operator asks (SELinux hosts refuse the narrower set)
    QString requestedBy; ///< user@host; empty: defaultRequester()
    QDateTime heartbeat; ///< first heartbeat; invalid: now

    /// Copies the request's target, direction, VNI, port, duration and agent settings.
    static TapPlan fromRequest(const TapRequest &request, const QString &sessionId);

    /// kImageRepository tagged with this build's version (podtap/version.h), e.g. "...:0.1.0".
    static QString defaultImage();
    QString effectiveImage() const;
    QString effectiveReceiverInterfaceName() const; ///< receiverInterfaceName, or ptap<vni>
    QString targetReference() const; ///< "<ns>/<pod>/<iface>", the podtap.io/target annotation
};

/// Paths inside the agent container: where the host's /proc, /var/run/netns and the pod's own
/// annotations (downwardAPI) are mounted.
inline constexpr auto kAgentProcRoot = "/host/proc";
inline constexpr auto kAgentNetnsDir = "/host/var/run/netns";
inline constexpr auto kAgentPodInfoDir = "/etc/podtap";
inline constexpr auto kAgentHeartbeatFile = "/etc/podtap/annotations";

/// Empty when @p contract (from `ready`) is the one this console speaks (kAgentContract, agent_event.h); otherwise the
/// error for a person, naming the agent's @p image and @p version and the fix.
QString agentContractProblem(int contract, const QString &version, const QString &image);

/// Label and annotation keys podtap puts on its pods.
inline constexpr auto kLabelName = "app.kubernetes.io/name";
inline constexpr auto kLabelManagedBy = "app.kubernetes.io/managed-by";
inline constexpr auto kLabelComponent = "app.kubernetes.io/component";
inline constexpr auto kLabelSession = "podtap.io/session";
inline constexpr auto kAnnotationTarget = "podtap.io/target";
inline constexpr auto kAnnotationRequestedBy = "podtap.io/requested-by";
inline constexpr auto kAnnotationHeartbeat = "podtap.io/heartbeat";
inline constexpr auto kAnnotationVni = "podtap.io/vni";
/// Set only when the sender sends egress frames with their own VNI (TapPlan::egressVni).
inline constexpr auto kAnnotationEgressVni = "podtap.io/egress-vni";
/// A node agent's target list (`mirror --targets-file ... --targets-key podtap.io/targets`): one line per tapped
/// pod, see workloadTargetLine(). Other sessions' planners read the VNIs in it.
inline constexpr auto kAnnotationTargets = "podtap.io/targets";
/// The heartbeat annotation's value on pods no console watches (TapPlan::heartbeatTimeoutSeconds 0).
inline constexpr auto kNoHeartbeat = "none";

/// "<user>@<host>" of this process, for podtap.io/requested-by.
QString defaultRequester();

/// RFC 3339 UTC with seconds, e.g. "2026-11-27T05:49:06Z", as the heartbeat annotation carries it.
QString heartbeatTimestamp(const QDateTime &time);

/// @brief The agent pod name: `podtap-<target>-<session>` (sender), `podtap-<target>-<session>-rx` (receiver)
/// or `podtap-<target>-<session>-st` (streamer: a session that falls back from the mirror creates it while its
/// sender is still terminating, so the two never share a name).
///
/// The target part is cut so the name fits in 63 characters, but the session ID is always kept
/// whole, so two sessions never share a name however long the target's name is. The result is a
/// valid DNS-1123 label.
QString agentPodName(const QString &targetPod, const QString &sessionId, AgentRole role);

/// The agent's command line (after the executable) for the sender: `mirror --container-id ...`.
QStringList senderAgentArgs(const TapPlan &plan);
/// The agent's command line for a receiver pod on a destination node: `receive --vni ...`.
QStringList receiverAgentArgs(const TapPlan &plan);

/// The streamer pod's command line: `hold` with the heartbeat, so a console that dies leaves nothing running.
QStringList holdAgentArgs(const TapPlan &plan);
/// The command the console runs in the streamer pod through `pods/exec` (the executable first): `podtap-agent
/// stream` on the target's interface, writing pcapng to stdout with one interface named targetReference().
QStringList streamAgentCommand(const TapPlan &plan);
/// The agent executable's path inside the agent image (the image's entrypoint).
inline constexpr auto kAgentExecutablePath = "/podtap-agent";

/// @brief One pod of a workload tap, as its node's agent gets it: a line of the `podtap.io/targets` annotation.
struct WorkloadTargetSpec
{
    QString tag; ///< `NS/POD`: the agent tags this target's events with it
    QString containerId; ///< any running container of the pod
    std::uint32_t vni = 0;
    std::uint32_t egressVni = 0; ///< 0: both directions on vni (and always for Direction::Ingress)
    QString interfaceName = QStringLiteral("eth0");
    Direction direction = Direction::Both;
};

/// `NS/POD --container-id ID --vni N [--egress-vni M] --interface IF --direction D`: the line of the target list
/// the multi-target agent reads (the agent contract for many targets).
QString workloadTargetLine(const WorkloadTargetSpec &target);
/// The lines for @p targets, one per line, as the `podtap.io/targets` annotation carries them.
QString workloadTargetList(const QList<WorkloadTargetSpec> &targets);
/// The VNIs a target list holds (both of each line), for planners that must not reuse them on the node.
QList<std::uint32_t> vnisInTargetList(const QString &list);

/// The node agent of a workload tap: `mirror --targets-file /etc/podtap/annotations --targets-key podtap.io/targets`
/// with the common flags (remote, port, session, heartbeat, filter, paths) from @p plan; the targets come from the
/// annotation, so the console adds and removes pods by patching it.
QStringList multiSenderAgentArgs(const TapPlan &plan);
/// The node agent pod of a workload tap on @p node: a sender (same labels, so list, stop and sweep treat it like
/// one), named agentPodName(@p node, session), with the target list @p targets in its `podtap.io/targets`
/// annotation. @p plan gives the session, destination, port, direction, filter and agent settings; its target
/// fields are not used.
QJsonObject nodeAgentPod(const TapPlan &plan, const QString &node, const QList<WorkloadTargetSpec> &targets);
/// The node agent pod's name: agentPodName(@p node, @p sessionId, AgentRole::Sender).
QString nodeAgentPodName(const QString &node, const QString &sessionId);

/// The sender pod as the API takes it (v1 Pod JSON), in the agent namespace, on the target's node.
QJsonObject senderPod(const TapPlan &plan);
/// The streamer pod for a stream through the API server: on the target's node, running `hold`, with only what
/// `stream` needs (no NET_ADMIN: it adds no device and no filter).
QJsonObject streamerPod(const TapPlan &plan);
/// The receiver pod for a node destination: the same shape, running `receive` with only NET_ADMIN.
QJsonObject receiverPod(const TapPlan &plan);

/// Problems that would make the pods wrong (missing node, container ID, IP, VNI, bad session ID),
/// each naming the field and what to do. Empty when the plan can be turned into pods.
ValidationProblems validatePlan(const TapPlan &plan);
/// The same for a streamer pod, which needs no tunnel: no destination IP and no VNI.
ValidationProblems validateStreamPlan(const TapPlan &plan);

} // namespace podtap
