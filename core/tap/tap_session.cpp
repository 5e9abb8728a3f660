// SPDX-License-Identifier: Apache-2.0
#include "tap/tap_session.h"

#include "capture/capture_filter_compiler.h"
#include "capture/capture_launch.h"
#include "capture/capture_process.h"
#include "capture/capture_tools.h"
#include "capture/pod_hosts_file.h"
#include "kube/api_error.h"
#include "kube/exec_stream.h"
#include "kube/kube_client.h"
#include "kube/line_framer.h"
#include "kube/list_watch.h"
#include "receive/local_capture.h"
#include "receive/pcapng_stream_reader.h"
#include "tap/agent_namespace.h"
#include "tap/local_receiver.h"
#include "tap/preflight_fix.h"
#include "tap/session_id.h"
#include "tap/tap_planner.h"
#include "tap/tap_preflight.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QProcess>
#include <QStandardPaths>

#include <algorithm>
#include <limits>

namespace podtap {
namespace {

using kube::ApiError;
using kube::KubeClient;
using kube::KubeReply;

QString podsPath(const QString &ns, const QString &name = {})
{
    return KubeClient::corePath(QStringLiteral("pods"), ns, name);
}

// A waiting container reason that will not resolve by itself, with what to do about it.
struct StuckReason
{
    const char *reason;
    const char *fix;
};
constexpr StuckReason kStuckReasons[] = {
    {"ErrImagePull",
        "Check that the agent image exists and that the node can pull it (--image, registry "
        "credentials, air-gapped mirrors)."},
    {"ImagePullBackOff",
        "Check that the agent image exists and that the node can pull it (--image, registry "
        "credentials, air-gapped mirrors)."},
    {"InvalidImageName", "Fix the agent image reference (--image)."},
    {"CrashLoopBackOff", "The agent keeps failing; read its log with kubectl logs -n <agent-namespace> <pod>."},
    {"CreateContainerConfigError", "The pod's configuration was refused by the node; see kubectl describe pod."},
    {"CreateContainerError", "The runtime could not create the agent container; see kubectl describe pod."},
    {"RunContainerError", "The runtime could not start the agent container; see kubectl describe pod."},
};

constexpr int kStoppedWaitMs = 5000;
// Sources of LocalCapture::setStreamDrops(): the agent's ring and the exec client.
constexpr int kRingDropsSource = 1;
constexpr int kExecDropsSource = 2;
constexpr qsizetype kStreamErrTailLines = 5;
constexpr int kStreamAttempts = 4;

} // namespace

TapSession::TapSession(kube::KubeClient *client, TapRequest request, TapSessionOptions options, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_request(std::move(request))
    , m_options(std::move(options))
{
    m_heartbeatTimer.setInterval(m_options.heartbeatIntervalMs);
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &TapSession::sendHeartbeat);
    m_stepTimer.setSingleShot(true);
    m_durationTimer.setSingleShot(true);
    // How long teardown reads on for the agent's `stopped` line: the pod's grace gives the agent time
    // to write it, but a node that is gone never will.
    m_stoppedWait.setSingleShot(true);
    m_stoppedWait.setInterval(kStoppedWaitMs);
    connect(&m_stoppedWait, &QTimer::timeout, this, [this] {
        m_stoppedWaitOver = true;
        finishTeardown();
    });
    connect(&m_durationTimer, &QTimer::timeout, this,
        [this] { stop(tr("the maximum duration of %1 s was reached").arg(m_request.maxDuration.count())); });
}

TapSession::~TapSession()
{
    if (m_exec) {
        // Closing the socket ends the exec: the agent sees stdin EOF and stops; the pod's heartbeat does the rest.
        m_exec->disconnect(this);
        m_exec->abort();
    }
    // Pods left on a destroyed session are reaped by their own heartbeat timeout and by sweep;
    // the local receiver and the capture die with their QProcess owners here.
}

QString TapSession::stateName(State state)
{
    switch (state) {
    case State::Idle:
        return tr("Idle");
    case State::Validating:
        return tr("Validating");
    case State::Resolving:
        return tr("Resolving");
    case State::Preflight:
        return tr("Checking permissions");
    case State::StartingReceiver:
        return tr("Starting receiver");
    case State::CreatingPods:
        return tr("Creating agent");
    case State::WaitingForPods:
        return tr("Waiting for agent pod");
    case State::WaitingForAgent:
        return tr("Waiting for mirror");
    case State::Running:
        return tr("Running");
    case State::Stopping:
        return tr("Stopping");
    case State::Stopped:
        return tr("Stopped");
    case State::Failed:
        return tr("Failed");
    }
    return {};
}

void TapSession::setState(State state, const QString &text)
{
    if (m_state != state) {
        m_state = state;
        Q_EMIT stateChanged(state);
    }
    if (!text.isEmpty()) {
        Q_EMIT progress(text);
    }
}

template<typename Callback>
void TapSession::request(kube::KubeReply *reply, Callback callback)
{
    reply->onFinished(this, [this, callback = std::move(callback)](KubeReply *finished) {
        finished->deleteLater();
        if (m_tearingDown) {
            return; // teardown has its own requests; late answers of earlier steps are moot
        }
        callback(finished);
    });
}

void TapSession::start()
{
    if (m_state != State::Idle) {
        return;
    }
    m_elapsed.start();
    setState(State::Validating, tr("Validating the request"));
    const ValidationProblems problems = m_request.validate();
    if (!problems.isEmpty()) {
        QStringList lines;
        for (const auto &p : problems) {
            lines << p.toString();
        }
        fail(tr("The tap request is not valid:\n%1").arg(lines.join(QLatin1Char('\n'))),
            tr("Correct the fields named above and start again."));
        return;
    }
    m_plan = TapPlan::fromRequest(m_request, generateSessionId());
    m_plan.privileged = m_options.privileged;
    m_plan.heartbeatTimeoutSeconds = m_options.heartbeatTimeoutSeconds;
    if (m_request.destination.kind == Destination::Kind::ApiServer) {
        m_agentRole = AgentRole::Streamer;
        m_path = DataPath::Stream;
    }
    if (!m_request.captureFilter.trimmed().isEmpty()) {
        const CompiledFilter compiled = compileCaptureFilter(m_request.captureFilter);
        if (!compiled.ok()) {
            fail(compiled.error, tr("Use tcpdump/Wireshark capture filter syntax, e.g. 'udp port 53'."));
            return;
        }
        m_plan.bpfBytecode = compiled.toArgument();
    }
    resolve();
}

void TapSession::resolve()
{
    setState(State::Resolving, {});
    // One planner for the console and podtapctl manifest: target, node, destination, VNI.
    m_planner = new TapPlanner(m_client, m_request, m_plan, this);
    m_planner->setLocalIp(m_options.localIp);
    m_planner->setCollectPodAddresses(true);
    // The userspace receiver tells a frame's direction from its VNI: egress comes with a second one.
    m_planner->setChooseEgressVni(true);
    connect(m_planner, &TapPlanner::progress, this, [this](const QString &text) {
        if (m_state == State::Resolving) {
            Q_EMIT progress(text);
        }
    });
    connect(m_planner, &TapPlanner::failed, this, [this](const QString &summary, const QString &fix) {
        if (m_state == State::Resolving) {
            fail(summary, fix);
        }
    });
    connect(m_planner, &TapPlanner::planned, this, [this] {
        if (m_state != State::Resolving) {
            return;
        }
        m_plan = m_planner->plan();
        preflight();
    });
    m_planner->start();
}

void TapSession::preflight()
{
    setState(State::Preflight, tr("Checking permissions in namespace %1").arg(m_plan.agentNamespace));
    // The same checks as every tap (TapPreflight): permissions, the agent namespace, the dry run of the pod.
    const QJsonObject pod = m_agentRole == AgentRole::Streamer ? streamerPod(m_plan) : senderPod(m_plan);
    m_preflight = new TapPreflight(m_client, m_request.destination, m_plan.agentNamespace, pod, this);
    connect(m_preflight, &TapPreflight::progress, this, &TapSession::progress);
    connect(m_preflight, &TapPreflight::warning, this, &TapSession::warn);
    connect(m_preflight, &TapPreflight::failed, this, [this](const QString &summary, const QString &fix) {
        if (m_state == State::Preflight) {
            fail(summary, fix);
        }
    });
    connect(m_preflight, &TapPreflight::passed, this, [this] {
        if (m_state != State::Preflight) {
            return;
        }
        m_streamAllowed = m_preflight->streamAllowed();
        m_streamRefusal = m_preflight->streamRefusal();
        m_preflight->deleteLater();
        if (m_request.destination.kind == Destination::Kind::ThisMachine && !m_streamAllowed) {
            Q_EMIT progress(tr("You may not use pods/exec (get and create) in namespace %1: if the tunnel cannot reach "
                               "this machine, this tap cannot fall back to the stream through the API server")
                                .arg(m_plan.agentNamespace));
        }
        startReceiver();
    });
    m_preflight->start();
}

QString TapSession::captureInterface() const
{
    if (m_request.destination.capturedInProcess()) {
        return m_plan.targetReference();
    }
    return m_plan.effectiveReceiverInterfaceName();
}

bool TapSession::hasUserspaceReceiver() const
{
    return m_localCapture != nullptr;
}

void TapSession::warn(const QString &text)
{
    m_warnings << text;
    Q_EMIT warningRaised(text);
}

void TapSession::startReceiver()
{
    if (m_request.destination.capturedInProcess()) {
        startLocalCapture();
        return;
    }
    if (m_request.destination.kind != Destination::Kind::LocalInterface || !m_options.runLocalReceiver) {
        createPods();
        return;
    }
    setState(
        State::StartingReceiver, tr("Creating the receiving interface %1 on this machine").arg(captureInterface()));
    LocalReceiverOptions options;
    options.agentExecutable = m_options.agentExecutable;
    options.interfaceName = captureInterface();
    options.vni = m_plan.vni;
    options.port = m_plan.port;
    options.remoteIp = m_plan.targetNodeIp;
    options.localIp = m_plan.destinationIp;
    m_receiver = new LocalReceiver(options, this);
    connect(m_receiver, &LocalReceiver::warning, this, [this](const QString &text) {
        m_warnings << text;
        Q_EMIT warningRaised(text);
    });
    connect(m_receiver, &LocalReceiver::failed, this, [this](const QString &message) {
        if (m_state == State::Stopping || m_state == State::Stopped || m_state == State::Failed) {
            return;
        }
        fail(message,
            LocalReceiver::runsFromAppImage()
                ? tr("Choose the destination \"This machine\" (no root needed), or install podtap's .deb package.")
                : tr("The local receiver needs CAP_NET_ADMIN: run podtap as root, grant it the capability, or "
                     "install the polkit policy so pkexec can run podtap-agent."));
    });
    connect(m_receiver, &LocalReceiver::ready, this, [this] {
        if (m_state == State::StartingReceiver) {
            createPods();
        }
    });
    connect(m_receiver, &LocalReceiver::finished, this, [this] {
        if (m_state == State::Running || m_state == State::WaitingForAgent || m_state == State::WaitingForPods) {
            stop(tr("the local receiver exited"));
        }
    });
    m_receiver->start();
}

void TapSession::startLocalCapture()
{
    const bool tunnel = m_path == DataPath::Tunnel;
    setState(State::StartingReceiver,
        tunnel ? tr("Opening the tunnel port %1/udp on this machine").arg(m_plan.port)
               : tr("Opening the capture stream on this machine"));
    receive::LocalCapture::Options options;
    options.receiver.port = quint16(m_plan.port);
    options.localAddress = QHostAddress(m_plan.destinationIp);
    options.tunnel = tunnel;
    m_localCapture = new receive::LocalCapture(options, this);
    receive::LocalCapture::Target target;
    target.interfaceName = m_plan.targetReference();
    target.description =
        tr("pod %1/%2, interface %3 (%4), %5 node %6")
            .arg(m_plan.targetNamespace, m_plan.targetPod, m_plan.interfaceName, directionName(m_plan.direction),
                tunnel ? tr("mirrored from") : tr("streamed through the API server from"), m_plan.targetNode);
    target.sender = QHostAddress(m_plan.targetNodeIp);
    target.ingressVni = m_plan.vni;
    target.egressVni = m_plan.egressVni;
    m_localCapture->addTarget(target);
    addPodNames();
    connect(m_localCapture, &receive::LocalCapture::countersChanged, this,
        [this](const receive::LocalCapture::Counters &counters) {
            m_capturedBytes = qint64(counters.bytes);
            m_captureDrops = qint64(counters.drops);
            if (m_captured != qint64(counters.packets)) {
                m_captured = qint64(counters.packets);
                Q_EMIT capturedPacketsChanged(m_captured);
            }
            const qint64 limit = m_options.capture.packetCount;
            if (limit > 0 && m_captured >= limit && m_state == State::Running) {
                stop(tr("%1 packets were captured").arg(m_captured));
            }
        });
    connect(m_localCapture, &receive::LocalCapture::reachabilityProblem, this, &TapSession::onReachabilityProblem);
    connect(
        m_localCapture, &receive::LocalCapture::fileSinkFailed, this, [this](const QString &error) { warn(error); });
    connect(m_localCapture, &receive::LocalCapture::viewerExited, this, [this](int, const QString &reason) {
        if (m_viewer == nullptr || m_state != State::Running) {
            return;
        }
        // Only the session's own tshark ends the tap, as its capture did with the kernel interface.
        if (m_viewer->state() == QProcess::NotRunning) {
            stop(tr("the capture ended (%1)").arg(reason));
        }
    });
    QString error;
    if (!m_options.capture.outputFile.isEmpty() && !m_localCapture->addFileSink(m_options.capture.outputFile, &error)) {
        fail(error, tr("Choose a file in a directory you can write to."));
        return;
    }
    if (!m_localCapture->start(&error)) {
        fail(error,
            tunnel
                ? tr("Another program may hold UDP port %1: choose another port (--port), or stop it.").arg(m_plan.port)
                : QString());
        return;
    }
    createPods();
}

void TapSession::addPodNames()
{
    if (!m_localCapture || !m_planner) {
        return;
    }
    QList<PodAddress> fresh;
    for (const PodAddress &pod : m_planner->podAddresses()) {
        if (!m_namedAddresses.contains(pod.ip)) {
            m_namedAddresses.insert(pod.ip);
            fresh << pod;
        }
    }
    if (!fresh.isEmpty()) {
        m_localCapture->addNames(fresh);
    }
}

QProcess *openCaptureViewer(receive::LocalCapture *capture, const QString &sessionId, const TapSessionOptions &options,
    CaptureTool tool, const QStringList &extraArguments, QString *error)
{
    if (!capture || !capture->isRunning()) {
        *error = QCoreApplication::translate(
            "podtap::TapSession", "Session %1 has no running receiver on this machine to show.")
                     .arg(sessionId);
        return nullptr;
    }
    if (tool == CaptureTool::None) {
        *error = QCoreApplication::translate("podtap::TapSession", "Choose tshark or Wireshark to show the capture.");
        return nullptr;
    }
    CaptureTools tools = findCaptureTools();
    if (!options.tsharkPath.isEmpty()) {
        tools.tshark = options.tsharkPath;
    }
    if (!options.wiresharkPath.isEmpty()) {
        tools.wireshark = options.wiresharkPath;
    }
    const QStringList command =
        receive::LocalCapture::viewerCommand(tool == CaptureTool::Wireshark ? receive::LocalCapture::Viewer::Wireshark
                                                                            : receive::LocalCapture::Viewer::Tshark,
            tools, extraArguments, error);
    if (command.isEmpty()) {
        return nullptr;
    }
    const int id = capture->addViewer(command, error);
    return id == 0 ? nullptr : capture->viewerProcess(id);
}

QProcess *TapSession::openViewer(CaptureTool tool, const QStringList &extraArguments, QString *error)
{
    if (m_localCapture && m_localCapture->isRunning()) {
        addPodNames(); // pods found since the stream started
    }
    return openCaptureViewer(m_localCapture, m_plan.sessionId, m_options, tool, extraArguments, error);
}

void TapSession::createPods()
{
    setState(State::CreatingPods, tr("Creating the agent pod %1 on node %2").arg(activePodName(), m_plan.targetNode));
    m_plan.heartbeat = m_client->serverNow(); // on the clock sweeps age it by
    if (m_agentRole == AgentRole::Streamer) {
        createPod(streamerPod(m_plan), [this] { waitForPods(); });
        return;
    }
    const auto createSender = [this] { createPod(senderPod(m_plan), [this] { waitForPods(); }); };
    if (!m_plan.destinationNode.isEmpty()) {
        createPod(receiverPod(m_plan), createSender);
    } else {
        createSender();
    }
}

void TapSession::createPod(const QJsonObject &pod, std::function<void()> next)
{
    const QString name = pod.value(QLatin1String("metadata")).toObject().value(QLatin1String("name")).toString();
    request(m_client->create(podsPath(m_plan.agentNamespace), pod), [this, name, next](KubeReply *reply) {
        if (!reply->ok()) {
            const ApiError &e = reply->error();
            const PreflightFix fix = explainRefusal(
                ApiRefusal {e.httpStatus, e.reason, e.message, e.detailsKind, e.detailsName}, m_plan.agentNamespace);
            fail(tr("Creating agent pod %1/%2 failed: %3").arg(m_plan.agentNamespace, name, e.toString()), fix.fix);
            return;
        }
        m_createdPods << name;
        next();
    });
}

void TapSession::waitForPods()
{
    const QString sender = activePodName();
    setState(State::WaitingForPods, tr("Waiting for %1 to run on node %2").arg(sender, m_plan.targetNode));
    kube::ListOptions options;
    options.fieldSelector = QStringLiteral("metadata.name=%1").arg(sender);
    m_podWatch = new kube::ListWatch(m_client, podsPath(m_plan.agentNamespace), options, this);
    connect(m_podWatch, &kube::ListWatch::pageReceived, this, [this](const QJsonArray &items) {
        for (const QJsonValue &item : items) {
            onSenderPod(item.toObject());
        }
    });
    connect(
        m_podWatch, &kube::ListWatch::eventReceived, this, [this](kube::WatchEventType type, const QJsonObject &pod) {
            if (type == kube::WatchEventType::Deleted) {
                if (m_state == State::Running || m_state == State::WaitingForAgent ||
                    m_state == State::WaitingForPods) {
                    stop(tr("the agent pod was deleted"));
                }
                return;
            }
            onSenderPod(pod);
        });
    m_stepTimer.disconnect();
    connect(&m_stepTimer, &QTimer::timeout, this, [this, sender] {
        if (m_state == State::WaitingForPods) {
            fail(tr("Agent pod %1/%2 was not running after %3 s.")
                     .arg(m_plan.agentNamespace, sender)
                     .arg(m_options.podStartTimeoutMs / 1000),
                tr("See kubectl describe pod -n %1 %2.").arg(m_plan.agentNamespace, sender));
        }
    });
    m_stepTimer.start(m_options.podStartTimeoutMs);
    m_podWatch->start();
}

void TapSession::onSenderPod(const QJsonObject &pod)
{
    if (m_state != State::WaitingForPods) {
        return;
    }
    const QString name = pod.value(QLatin1String("metadata")).toObject().value(QLatin1String("name")).toString();
    const QJsonObject status = pod.value(QLatin1String("status")).toObject();
    const QString phase = status.value(QLatin1String("phase")).toString();
    for (const QJsonValue &c : status.value(QLatin1String("conditions")).toArray()) {
        const QJsonObject condition = c.toObject();
        if (condition.value(QLatin1String("type")).toString() == QLatin1String("PodScheduled") &&
            condition.value(QLatin1String("status")).toString() == QLatin1String("False") &&
            condition.value(QLatin1String("reason")).toString() == QLatin1String("Unschedulable")) {
            fail(tr("Agent pod %1 cannot be scheduled: %2")
                     .arg(name, condition.value(QLatin1String("message")).toString()),
                tr("The agent must run on node %1; check that the node exists, is Ready and is not cordoned.")
                    .arg(m_plan.targetNode));
            return;
        }
    }
    for (const QJsonValue &c : status.value(QLatin1String("containerStatuses")).toArray()) {
        const QJsonObject waiting =
            c.toObject().value(QLatin1String("state")).toObject().value(QLatin1String("waiting")).toObject();
        const QString reason = waiting.value(QLatin1String("reason")).toString();
        for (const StuckReason &stuck : kStuckReasons) {
            if (reason == QLatin1String(stuck.reason)) {
                fail(tr("Agent pod %1 is stuck in %2: %3")
                         .arg(name, reason, waiting.value(QLatin1String("message")).toString()),
                    QString::fromLatin1(stuck.fix));
                return;
            }
        }
    }
    if (phase == QLatin1String("Failed") || phase == QLatin1String("Succeeded")) {
        fail(tr("Agent pod %1 ended (%2) before the mirror was up: %3")
                 .arg(name, phase, status.value(QLatin1String("message")).toString()),
            tr("Read its log: kubectl logs -n %1 %2").arg(m_plan.agentNamespace, name));
        return;
    }
    if (phase == QLatin1String("Running")) {
        m_stepTimer.stop();
        if (m_agentRole == AgentRole::Streamer) {
            startStream();
        } else {
            followAgentLog();
        }
    }
}

void TapSession::followAgentLog()
{
    const QString sender = agentPodName(m_plan.targetPod, m_plan.sessionId, AgentRole::Sender);
    if (m_state != State::WaitingForAgent) {
        setState(
            State::WaitingForAgent, tr("Waiting for the agent to install the mirror on %1").arg(m_plan.targetNode));
        m_stepTimer.disconnect();
        connect(&m_stepTimer, &QTimer::timeout, this, [this, sender] {
            if (m_state == State::WaitingForAgent) {
                fail(tr("The agent in %1 did not report ready within %2 s.")
                         .arg(sender)
                         .arg(m_options.agentReadyTimeoutMs / 1000),
                    tr("Read its log: kubectl logs -n %1 %2").arg(m_plan.agentNamespace, sender));
            }
        });
        m_stepTimer.start(m_options.agentReadyTimeoutMs);
    }
    m_logStream = m_client->followLog(m_plan.agentNamespace, sender);
    connect(m_logStream, &kube::KubeStream::lineReceived, this, &TapSession::onAgentLine);
    connect(m_logStream, &kube::KubeStream::closed, this, [this](const ApiError &error) {
        if (m_logStream) {
            m_logStream->deleteLater();
        }
        if (m_state == State::Stopping) {
            // Teardown was reading on for the agent's `stopped` line; the log ended without it.
            if (m_deletesDone) {
                QTimer::singleShot(0, this, &TapSession::finishTeardown);
            }
            return;
        }
        if (m_state != State::WaitingForAgent && m_state != State::Running) {
            return;
        }
        // The log ends when the agent's container restarts (restartPolicy OnFailure) or the
        // connection drops; follow again a few times before giving up.
        if (++m_logReopens > 5) {
            fail(tr("Lost the agent's log: %1").arg(error.isError() ? error.toString() : tr("the stream ended")));
            return;
        }
        QTimer::singleShot(500 * m_logReopens, this, [this] {
            if (m_state == State::WaitingForAgent || m_state == State::Running) {
                followAgentLog();
            }
        });
    });
}

void TapSession::onAgentLine(const QByteArray &line)
{
    const auto event = parseAgentEvent(line);
    if (!event) {
        return;
    }
    switch (event->type) {
    case AgentEvent::Type::Ready:
        if (m_state == State::WaitingForAgent) {
            // An agent of another contract level (a stale image on the node) must not run this tap.
            const QString problem = agentContractProblem(event->contract, event->version, m_plan.effectiveImage());
            if (!problem.isEmpty()) {
                fail(tr("Refused the agent in %1: %2").arg(activePodName(), problem),
                    tr("Run the tap with the agent image of this console's version: --image %1")
                        .arg(TapPlan::defaultImage()));
                return;
            }
            m_stepTimer.stop();
            m_agentReady = true;
            m_logReopens = 0;
            const bool firstReady = !m_readyEmitted;
            if (m_path == DataPath::Stream) {
                setState(State::Running,
                    tr("Streaming %1 through the API server from node %2")
                        .arg(m_plan.targetReference(), m_plan.targetNode));
                if (m_request.destination.kind == Destination::Kind::ApiServer) {
                    setDataPath(DataPath::Stream, tr("stream through the API server (chosen: --to api)"));
                }
            } else {
                setState(State::Running,
                    m_localCapture ? tr("Mirroring %1 to this machine's UDP port %2")
                                         .arg(m_plan.targetReference())
                                         .arg(m_localCapture->port())
                                   : tr("Mirroring %1 into %2").arg(m_plan.targetReference(), captureInterface()));
                setDataPath(DataPath::Tunnel,
                    m_localCapture
                        ? tr("tunnel: VXLAN from node %1 (%2) to this machine (%3), UDP port %4")
                              .arg(m_plan.targetNode, m_plan.targetNodeIp, m_plan.destinationIp)
                              .arg(m_localCapture->port())
                        : tr("tunnel: VXLAN from node %1 (%2) to %3")
                              .arg(m_plan.targetNode, m_plan.targetNodeIp,
                                  m_plan.destinationNode.isEmpty() ? m_plan.destinationIp : m_plan.destinationNode));
            }
            if (firstReady) {
                // The duration and the viewers belong to the session, not to a path: a switch keeps them.
                m_heartbeatTimer.start();
                m_durationTimer.start(std::chrono::milliseconds(m_request.maxDuration));
            }
            if (!m_captureStarted) {
                m_captureStarted = true;
                startCapture();
            }
            if (m_localCapture) {
                m_localCapture->agentReady();
            }
            if (firstReady) {
                m_readyEmitted = true;
                Q_EMIT ready();
            }
        }
        break;
    case AgentEvent::Type::Stats:
        m_stats = event->stats;
        if (m_localCapture && m_path == DataPath::Stream) {
            // Frames the agent's ring lost never reached the stream: drops of this session.
            m_localCapture->setStreamDrops(kRingDropsSource, quint64(std::max<qint64>(0, m_stats.drops)));
        } else if (m_localCapture) {
            m_localCapture->setAgentMirrored(m_stats.packets);
        }
        Q_EMIT statsChanged(m_stats);
        break;
    case AgentEvent::Type::Warning:
        m_warnings << event->message;
        Q_EMIT warningRaised(event->message);
        break;
    case AgentEvent::Type::Error:
        if (m_state == State::WaitingForAgent || m_state == State::Running) {
            fail(tr("The agent on %1 reported: %2").arg(m_plan.targetNode, event->message),
                tr("The message names the kernel operation that failed; see the agent's documentation."));
        }
        break;
    case AgentEvent::Type::Stopped:
        m_agentStopped = true;
        // Its final counters: the last word on what was mirrored (a periodic `stats` may be older).
        if (event->raw.contains(QLatin1String("ingress")) || event->raw.contains(QLatin1String("egress")) ||
            event->raw.contains(QLatin1String("packets"))) {
            m_stats = event->stats;
            if (m_localCapture && m_path == DataPath::Stream) {
                m_localCapture->setStreamDrops(kRingDropsSource, quint64(std::max<qint64>(0, m_stats.drops)));
            }
            Q_EMIT statsChanged(m_stats);
        }
        if (m_state == State::Stopping && m_deletesDone) {
            finishTeardown();
            break;
        }
        if (m_state == State::Running || m_state == State::WaitingForAgent) {
            const QString reason = event->reason == QLatin1String("target-gone") ? tr("target gone") : event->reason;
            stop(tr("the agent stopped: %1").arg(reason));
        }
        break;
    case AgentEvent::Type::Other:
        break;
    }
}

void TapSession::startCapture()
{
    if (m_request.destination.capturedInProcess()) {
        // The userspace stream already carries the pod names (NRB): no hosts file, no interface to open.
        addPodNames();
        if (m_options.capture.tool == CaptureTool::None) {
            return;
        }
        QString error;
        QProcess *viewer = openViewer(m_options.capture.tool, {}, &error);
        if (!viewer) {
            warn(error);
            return;
        }
        if (m_options.capture.tool == CaptureTool::Tshark) {
            // tshark's text lines are the session's packet lines, as with the kernel interface's capture.
            m_viewer = viewer;
            connect(viewer, &QProcess::readyRead, this, [this, viewer] {
                while (viewer->canReadLine()) {
                    const QString line = QString::fromUtf8(viewer->readLine()).trimmed();
                    // tshark's own notes (merged from stderr) are not packets.
                    if (line.isEmpty() || line.startsWith(QLatin1String("Capturing on")) ||
                        line.endsWith(QLatin1String("packets captured")) ||
                        line.endsWith(QLatin1String("packet captured"))) {
                        continue;
                    }
                    Q_EMIT packetLine(line);
                }
            });
        }
        return;
    }
    if (m_request.destination.kind != Destination::Kind::LocalInterface) {
        return;
    }
    const QString configDir = QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation))
                                  .filePath(QStringLiteral("capture"));
    QDir().mkpath(configDir);
    const QList<PodAddress> pods = m_planner ? m_planner->podAddresses() : QList<PodAddress> {};
    // Written for every local tap, so a capture opened later (the console's tshark view) names pods too.
    QString error;
    m_hostsFile = QDir(configDir).filePath(QStringLiteral("hosts-%1").arg(m_plan.sessionId));
    if (!writePodHostsFile(m_hostsFile, pods, &error)) {
        m_hostsFile.clear();
    }
    if (m_options.capture.tool == CaptureTool::None) {
        return;
    }
    CaptureOptions options = m_options.capture;
    options.interfaceName = captureInterface();
    options.hostsFile = m_hostsFile;
    if (options.tool == CaptureTool::Wireshark) {
        // Wireshark is the operator's window: it outlives the tap and keeps its capture.
        const CaptureCommand command = launchCapture(options, nullptr);
        if (!command.ok()) {
            m_warnings << command.error;
            Q_EMIT warningRaised(command.error);
        }
        return;
    }
    m_capture = new CaptureProcess(this);
    connect(m_capture, &CaptureProcess::lineReceived, this, &TapSession::packetLine);
    connect(m_capture, &CaptureProcess::packetCountChanged, this, [this](qint64 count) {
        m_captured = count;
        Q_EMIT capturedPacketsChanged(count);
    });
    connect(m_capture, &CaptureProcess::failed, this, [this](const QString &message) {
        m_warnings << message;
        Q_EMIT warningRaised(message);
    });
    connect(m_capture, &CaptureProcess::finished, this, [this](bool, int) {
        if (m_state == State::Running) {
            const qint64 limit = m_options.capture.packetCount;
            stop(limit > 0 && m_captured >= limit ? tr("%1 packets were captured").arg(m_captured)
                                                  : tr("the capture ended"));
        }
    });
    const CaptureCommand command = launchCapture(options, m_capture);
    if (!command.ok()) {
        m_warnings << command.error;
        Q_EMIT warningRaised(command.error);
        m_capture->deleteLater();
    }
}

void TapSession::sendHeartbeat()
{
    const QJsonObject patch {{QStringLiteral("metadata"),
        QJsonObject {{QStringLiteral("annotations"),
            QJsonObject {// The API server's clock, which sweeps age heartbeats by; the agent only times its changes.
                {QLatin1String(kAnnotationHeartbeat), heartbeatTimestamp(m_client->serverNow())}}}}}};
    for (const QString &pod : std::as_const(m_createdPods)) {
        request(m_client->patch(podsPath(m_plan.agentNamespace, pod), patch), [this, pod](KubeReply *reply) {
            if (!reply->ok() && m_state == State::Running) {
                const QString text = tr("Heartbeat for %1 failed: %2. The agent stops by itself after %3 s "
                                        "without one.")
                                         .arg(pod, reply->error().toString())
                                         .arg(m_options.heartbeatTimeoutSeconds);
                m_warnings << text;
                Q_EMIT warningRaised(text);
            }
        });
    }
}

void TapSession::fail(const QString &summary, const QString &fix)
{
    if (m_tearingDown) {
        return;
    }
    m_failureSummary = summary;
    m_failureFix = fix;
    m_failedBeforeTeardown = true;
    Q_EMIT failed(summary, fix);
    teardown();
}

void TapSession::failWithApiError(const QString &operation, const ApiError &error)
{
    const PreflightFix fix =
        explainRefusal(ApiRefusal {error.httpStatus, error.reason, error.message, error.detailsKind, error.detailsName},
            m_plan.agentNamespace.isEmpty() ? m_request.agentNamespace : m_plan.agentNamespace);
    fail(tr("Could not %1: %2").arg(operation, error.toString()), fix.fix);
}

void TapSession::stop(const QString &reason)
{
    if (m_tearingDown || m_state == State::Stopped || m_state == State::Failed) {
        return;
    }
    if (m_state == State::Idle) {
        m_stopReason = reason;
        setState(State::Stopped, tr("Stopped: %1").arg(reason));
        Q_EMIT finished();
        return;
    }
    m_stopReason = reason;
    teardown();
}

void TapSession::teardown()
{
    m_tearingDown = true;
    m_heartbeatTimer.stop();
    m_stepTimer.stop();
    m_durationTimer.stop();
    if (m_podWatch) {
        m_podWatch->stop();
        m_podWatch->deleteLater();
    }
    // A running agent answers the pod's deletion (SIGTERM) with a `stopped` line carrying its final
    // counters: keep reading its log until then (finishTeardown() waits a little for it).
    if (m_logStream && !(m_agentReady && !m_agentStopped)) {
        m_logStream->disconnect(this);
        m_logStream->close();
    }
    setState(State::Stopping,
        m_stopReason.isEmpty() ? tr("Removing what this tap created") : tr("Stopping: %1").arg(m_stopReason));
    m_pendingDeletes = m_createdPods;
    m_stepTimer.disconnect();
    connect(&m_stepTimer, &QTimer::timeout, this, [this] {
        const QString text = tr("Deleting the agent pods did not finish within %1 s; run podtapctl sweep to remove "
                                "leftovers.")
                                 .arg(m_options.stopTimeoutMs / 1000);
        m_warnings << text;
        Q_EMIT warningRaised(text);
        m_pendingDeletes.clear();
        finishTeardown();
    });
    m_stepTimer.start(m_options.stopTimeoutMs);
    if (m_exec && !m_exec->isFinished()) {
        // The stream ends first: `stop` and the end of stdin let the agent hand over its last packets and its
        // `stopped` line; the pod goes after (or after kStoppedWaitMs, from an agent that does not answer).
        Q_EMIT progress(tr("Ending the stream in %1/%2").arg(m_plan.agentNamespace, activePodName()));
        m_waitingForExec = true;
        m_exec->writeStdin(QByteArrayLiteral("stop\n"));
        m_exec->closeStdin();
        QTimer::singleShot(kStoppedWaitMs, this, [this] {
            if (!m_waitingForExec) {
                return;
            }
            m_waitingForExec = false;
            if (m_exec) {
                m_exec->abort();
            }
            deleteNextPod();
        });
        return;
    }
    deleteNextPod();
}

void TapSession::deleteNextPod()
{
    if (m_pendingDeletes.isEmpty()) {
        finishTeardown();
        return;
    }
    const QString pod = m_pendingDeletes.first();
    Q_EMIT progress(tr("Deleting agent pod %1/%2").arg(m_plan.agentNamespace, pod));
    m_client->remove(podsPath(m_plan.agentNamespace, pod), m_options.deleteGraceSeconds)
        ->onFinished(this, [this, pod](KubeReply *reply) {
            reply->deleteLater();
            if (!m_tearingDown || m_state != State::Stopping) {
                return;
            }
            if (!reply->ok() && !reply->error().isNotFound()) {
                const QString text = tr("Could not delete agent pod %1/%2: %3. Remove it with podtapctl sweep.")
                                         .arg(m_plan.agentNamespace, pod, reply->error().toString());
                m_warnings << text;
                Q_EMIT warningRaised(text);
            }
            m_pendingDeletes.removeAll(pod);
            m_createdPods.removeAll(pod);
            deleteNextPod();
        });
}

void TapSession::finishTeardown()
{
    if (m_state != State::Stopping) {
        return;
    }
    m_deletesDone = true;
    m_stepTimer.stop();
    if (m_logStream && !m_logStream->isClosed() && m_agentReady && !m_agentStopped && !m_stoppedWaitOver) {
        if (!m_stoppedWait.isActive()) {
            Q_EMIT progress(tr("Waiting for the agent's final counters"));
            m_stoppedWait.start();
        }
        return;
    }
    m_stoppedWait.stop();
    if (m_logStream) {
        m_logStream->disconnect(this);
        m_logStream->close();
    }
    if (m_exec && !m_exec->isFinished()) {
        m_exec->disconnect(this);
        m_exec->abort();
    }
    // The capture stops after the agent is gone, so every mirrored packet had its chance to arrive.
    if (m_capture && m_capture->isRunning()) {
        m_capture->stop();
    }
    if (m_receiver && m_receiver->isRunning()) {
        m_receiver->stop();
    }
    if (m_localCapture) {
        // Releases routes and port, closes the file, and ends the viewers' pipes: Wireshark keeps its
        // capture, tshark prints what is left and exits.
        m_localCapture->stop();
    }
    const auto done = [this] {
        if (!m_hostsFile.isEmpty()) {
            QFile::remove(m_hostsFile); // nothing is left on this machine either
        }
        if (m_failedBeforeTeardown) {
            setState(State::Failed, tr("Failed: %1").arg(m_failureSummary));
        } else {
            setState(State::Stopped, tr("Stopped: %1").arg(m_stopReason));
        }
        Q_EMIT finished();
    };
    // Wait for the capture and the receiver to exit, so "finished" means nothing is left.
    auto *poll = new QTimer(this);
    auto *waited = new QElapsedTimer;
    waited->start();
    connect(poll, &QTimer::timeout, this, [this, poll, waited, done] {
        const bool captureBusy = m_capture && m_capture->isRunning();
        const bool receiverBusy = m_receiver && m_receiver->isRunning();
        const bool viewerBusy = m_viewer && m_viewer->state() != QProcess::NotRunning;
        if ((!captureBusy && !receiverBusy && !viewerBusy) || waited->elapsed() > 10000) {
            poll->stop();
            poll->deleteLater();
            delete waited;
            done();
        }
    });
    poll->start(50);
}

QString TapSession::activePodName() const
{
    return agentPodName(m_plan.targetPod, m_plan.sessionId, m_agentRole);
}

void TapSession::setDataPath(DataPath path, const QString &text)
{
    m_path = path;
    if (m_pathText == text) {
        return;
    }
    m_pathText = text;
    Q_EMIT dataPathChanged(text);
}

void TapSession::onReachabilityProblem(const QString &text, const QString &fix)
{
    const bool mayFallBack = m_request.destination.kind == Destination::Kind::ThisMachine &&
        m_path == DataPath::Tunnel && m_state == State::Running;
    if (mayFallBack && m_streamAllowed) {
        switchToStream();
        return;
    }
    QString message = fix.isEmpty() ? text : text + QLatin1Char(' ') + fix;
    if (mayFallBack) {
        // The operator must know why podtap does not simply stream: it may not, and what would let it.
        message += QLatin1Char('\n') +
            tr("The stream through the API server, which needs no tunnel, is not allowed: %1 %2")
                .arg(m_streamRefusal.summary, m_streamRefusal.fix);
    }
    warn(message);
}

void TapSession::switchToStream()
{
    const QString sender = agentPodName(m_plan.targetPod, m_plan.sessionId, AgentRole::Sender);
    const int waitedSeconds = qRound(receive::LocalCapture::Options().reachabilityTimeoutMs / 1000.0);
    setDataPath(DataPath::Stream,
        tr("tunnel: no packet from node %1 (%2) in %3 s although the agent mirrored %4; streaming through the API "
           "server instead")
            .arg(m_plan.targetNode, m_plan.targetNodeIp)
            .arg(waitedSeconds)
            .arg(m_stats.packets));
    Q_EMIT progress(m_pathText);
    // The capture keeps its stream, file and viewers; only the tunnel port goes.
    m_localCapture->releaseTunnel();
    // The mirror goes cleanly: no more reading or watching it, and its pod is deleted (the agent removes its
    // filter and device on SIGTERM) while the streamer starts.
    if (m_logStream) {
        m_logStream->disconnect(this);
        m_logStream->close();
    }
    if (m_podWatch) {
        m_podWatch->stop();
        m_podWatch->deleteLater();
    }
    Q_EMIT progress(tr("Deleting agent pod %1/%2 (the mirror)").arg(m_plan.agentNamespace, sender));
    m_client->remove(podsPath(m_plan.agentNamespace, sender), m_options.deleteGraceSeconds)
        ->onFinished(this, [this, sender](KubeReply *reply) {
            reply->deleteLater();
            if (reply->ok() || reply->error().isNotFound()) {
                m_createdPods.removeAll(sender);
                return;
            }
            if (!m_tearingDown) {
                // Left in m_createdPods: teardown tries again.
                warn(tr("Could not delete the mirror's agent pod %1/%2: %3. The session tries again when it stops; "
                        "podtapctl sweep removes leftovers.")
                         .arg(m_plan.agentNamespace, sender, reply->error().toString()));
            }
        });
    m_agentReady = false;
    m_agentStopped = false;
    m_logReopens = 0;
    m_stats = {};
    Q_EMIT statsChanged(m_stats);
    m_agentRole = AgentRole::Streamer;
    createPods();
}

void TapSession::startStream()
{
    const QString pod = activePodName();
    setState(State::WaitingForAgent,
        tr("Starting the stream in %1/%2 through the API server (pods/exec)").arg(m_plan.agentNamespace, pod));
    if (m_streamAttempts++ == 0) {
        // One deadline for every attempt.
        m_stepTimer.disconnect();
        connect(&m_stepTimer, &QTimer::timeout, this, [this, pod] {
            if (m_state == State::WaitingForAgent) {
                fail(tr("The stream in %1/%2 did not report ready within %3 s.")
                         .arg(m_plan.agentNamespace, pod)
                         .arg(m_options.agentReadyTimeoutMs / 1000),
                    tr("Check that the node runs the agent image of this console's version, and try `kubectl exec -n "
                       "%1 %2 -- /podtap-agent --version`.")
                        .arg(m_plan.agentNamespace, pod));
            }
        });
        m_stepTimer.start(m_options.agentReadyTimeoutMs);
    }
    m_streamReader = std::make_unique<receive::PcapngStreamReader>();
    m_streamErrLines = std::make_unique<kube::LineFramer>(1024 * 1024);
    m_streamErrTail.clear();
    kube::ExecRequest request;
    request.ns = m_plan.agentNamespace;
    request.pod = pod;
    request.container = QStringLiteral("agent");
    request.command = streamAgentCommand(m_plan);
    request.stdinEnabled = true; // its end (the console gone) stops the agent
    m_exec = new kube::ExecStream(m_client, request, this);
    m_exec->setKeepAlive(m_options.execPingIntervalMs, m_options.execSilenceTimeoutMs);
    connect(m_exec, &kube::ExecStream::stdoutData, this, &TapSession::onStreamStdout);
    connect(m_exec, &kube::ExecStream::stderrData, this, &TapSession::onStreamStderr);
    connect(m_exec, &kube::ExecStream::stdoutDropped, this, [this](qint64) {
        // A gap in the byte stream: the packets in it are lost, the reader finds the next whole block.
        m_streamReader->resynchronize();
        if (m_localCapture) {
            m_localCapture->setStreamDrops(kExecDropsSource, m_exec->droppedMessages());
        }
    });
    connect(m_exec, &kube::ExecStream::finished, this, &TapSession::onStreamFinished);
    m_exec->start();
}

void TapSession::onStreamStdout(const QByteArray &chunk)
{
    if (!m_streamReader || !m_localCapture) {
        return;
    }
    const QList<receive::PcapngBlock> blocks = m_streamReader->append(chunk);
    for (const receive::PcapngBlock &block : blocks) {
        if (block.type != receive::PcapngBlock::Type::EnhancedPacket) {
            continue; // the session writes its own section header and interface (with the same name)
        }
        const receive::PcapngPacket &packet = block.packet;
        m_localCapture->writeStreamPacket(
            int(packet.interfaceId), packet.timestampNs, packet.direction, packet.data.constData(), packet.data.size());
    }
    m_localCapture->flushStream();
    if (m_streamReader->hasError() && (m_state == State::WaitingForAgent || m_state == State::Running)) {
        fail(tr("The stream from %1/%2 is not valid pcapng: %3")
                 .arg(m_plan.agentNamespace, activePodName(), m_streamReader->errorString()),
            tr("The agent image must be the one of this console's version (--image %1).").arg(TapPlan::defaultImage()));
    }
}

void TapSession::onStreamStderr(const QByteArray &chunk)
{
    if (!m_streamErrLines) {
        return;
    }
    for (const QByteArray &line : m_streamErrLines->append(chunk)) {
        if (!parseAgentEvent(line)) {
            // Human text from the agent: kept for a failure message.
            const QString text = QString::fromUtf8(line).trimmed();
            if (!text.isEmpty()) {
                m_streamErrTail << text;
                while (m_streamErrTail.size() > kStreamErrTailLines) {
                    m_streamErrTail.removeFirst();
                }
            }
            continue;
        }
        onAgentLine(line);
    }
}

void TapSession::onStreamFinished(const kube::ExecResult &result)
{
    if (m_streamErrLines) {
        const QByteArray rest = m_streamErrLines->takeRemainder();
        if (!rest.isEmpty()) {
            onStreamStderr(rest + '\n');
        }
    }
    if (m_exec) {
        m_exec->deleteLater();
    }
    if (m_state == State::Stopping) {
        if (m_waitingForExec) {
            m_waitingForExec = false;
            deleteNextPod();
        } else if (m_deletesDone) {
            QTimer::singleShot(0, this, &TapSession::finishTeardown);
        }
        return;
    }
    if (m_state != State::WaitingForAgent && m_state != State::Running) {
        return;
    }
    const QString pod = QStringLiteral("%1/%2").arg(m_plan.agentNamespace, activePodName());
    // A container the API server just reported Running may not take an exec yet (the runtime still sets it up):
    // an exec that failed before the agent said anything is tried again a few times. Refusals are final.
    const bool refused = result.apiError.httpStatus == 401 || result.apiError.httpStatus == 403;
    if (!result.error.isEmpty() && !refused && m_state == State::WaitingForAgent && !m_agentReady &&
        m_streamAttempts < kStreamAttempts) {
        Q_EMIT progress(tr("The exec in %1 failed (%2); trying again").arg(pod, result.error));
        QTimer::singleShot(500 * m_streamAttempts, this, [this] {
            if (m_state == State::WaitingForAgent) {
                startStream();
            }
        });
        return;
    }
    if (!result.error.isEmpty()) {
        const kube::ApiError &e = result.apiError;
        const PreflightFix fix = e.httpStatus != 0
            ? explainRefusal(
                  ApiRefusal {e.httpStatus, e.reason, e.message, e.detailsKind, e.detailsName}, m_plan.agentNamespace)
            : PreflightFix {};
        fail(tr("The stream through the API server from %1 failed: %2").arg(pod, result.error),
            fix.fix.isEmpty() ? tr("Check the connection to the API server and start the tap again.") : fix.fix);
        return;
    }
    if (result.exitCode > 0) {
        fail(tr("podtap-agent stream in %1 exited with code %2%3")
                 .arg(pod)
                 .arg(result.exitCode)
                 .arg(m_streamErrTail.isEmpty() ? QString()
                                                : QStringLiteral(": ") + m_streamErrTail.join(QLatin1Char(' '))),
            tr("The agent's message says what failed; code 3 means the target was not found (the pod restarted?), "
               "4 that the kernel refused an operation."));
        return;
    }
    stop(tr("the stream ended"));
}

} // namespace podtap
