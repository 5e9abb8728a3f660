// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "common/defaults.h"

#include "capture/capture_options.h"
#include "capture/pod_hosts_file.h"
#include "tap/agent_event.h"
#include "tap/agent_pod_spec.h"
#include "tap/preflight_fix.h"
#include "tap/tap_request.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <memory>

class QProcess;

namespace podtap::kube {
class ExecStream;
class KubeClient;
class KubeReply;
class KubeStream;
class LineFramer;
class ListWatch;
struct ApiError;
struct ExecResult;
} // namespace podtap::kube

namespace podtap {

class CaptureProcess;
class LocalReceiver;
class TapPlanner;
class TapPreflight;
namespace receive {
class LocalCapture;
class PcapngStreamReader;
} // namespace receive

/// @brief How a session captures and how long it waits; everything a TapRequest does not say.
struct TapSessionOptions
{
    /// The tool, output file and packet count; the session fills in the interface and the pod names.
    CaptureOptions capture;
    bool runLocalReceiver = true; ///< for LocalInterface; off only when the operator made the interface by hand
    QString agentExecutable; ///< for the kernel interface's receiver; empty: findAgentExecutable()
    /// Where the capture tools are, for viewers of a userspace (ThisMachine) session; empty: detected.
    QString tsharkPath;
    QString wiresharkPath;
    QString localIp; ///< override of the detected local address toward the node
    bool privileged = false; ///< sender pod with privileged: true (SELinux hosts)
    int heartbeatIntervalMs = 30000;
    int heartbeatTimeoutSeconds = kDefaultHeartbeatTimeoutSeconds;
    int podStartTimeoutMs = 120000;
    int agentReadyTimeoutMs = 60000;
    int stopTimeoutMs = 20000;
    int deleteGraceSeconds = 10;
    /// The stream's keep-alive (kube::ExecStream::setKeepAlive): a ping this often, and an exec silent this
    /// long is over (its path to the API server is presumed lost) and fails the session, naming the silence.
    int execPingIntervalMs = 15000;
    int execSilenceTimeoutMs = 45000;
};

/// Starts @p tool (tshark or Wireshark) reading @p capture's pcapng stream through a pipe: the viewer of a session
/// that receives on this machine. The tools' paths come from @p options when set. Null with @p error when there is
/// no running capture, no tool was chosen, or the tool is missing.
QProcess *openCaptureViewer(receive::LocalCapture *capture, const QString &sessionId, const TapSessionOptions &options,
    CaptureTool tool, const QStringList &extraArguments, QString *error);

/// @brief One tap from request to teardown: validate → resolve → preflight → local receiver →
/// create pods → wait until Running → follow the agent log until ready → capture → heartbeat → stop.
///
/// Every step announces itself with progress(); a failure names what failed and its fix, and then
/// removes whatever the session had created. stop() is idempotent and leaves nothing behind.
///
/// Data paths (dataPath()): the VXLAN tunnel from the sender pod, or the stream through the API server
/// (Destination::Kind::ApiServer): a streamer pod idles (`podtap-agent hold`), the session runs
/// `podtap-agent stream` in it through `pods/exec` and feeds the pcapng it writes to stdout into the same
/// userspace capture (file, viewers, counters); its stderr carries the agent's events. "This machine" starts
/// with the tunnel and, when no tunnel packet arrives although the agent mirrors, deletes the sender and
/// switches to the stream (when preflight found pods/exec allowed), saying why in dataPathText().
class TapSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TapSession)

public:
    enum class State {
        Idle,
        Validating,
        Resolving,
        Preflight,
        StartingReceiver,
        CreatingPods,
        WaitingForPods,
        WaitingForAgent,
        Running,
        Stopping,
        Stopped,
        Failed,
    };
    Q_ENUM(State)

    TapSession(kube::KubeClient *client, TapRequest request, TapSessionOptions options = {}, QObject *parent = nullptr);
    ~TapSession() override;

    void start();
    /// Ends the tap: deletes the agent pods (10 s grace), stops the capture and the local receiver.
    void stop(const QString &reason = QStringLiteral("stopped by the operator"));

    State state() const { return m_state; }
    bool isActive() const { return m_state != State::Idle && m_state != State::Stopped && m_state != State::Failed; }
    const TapRequest &request() const { return m_request; }
    const TapPlan &plan() const { return m_plan; }
    QString sessionId() const { return m_plan.sessionId; }
    /// The kernel interface a capture tool opens (ptap<vni>) for LocalInterface; for ThisMachine the
    /// pcapng interface name `ns/pod/iface` of the userspace stream (open it with openViewer()).
    QString captureInterface() const;
    /// The tunnel ends in this session's userspace receiver (ThisMachine): viewers attach with openViewer().
    bool hasUserspaceReceiver() const;
    /// Starts @p tool (tshark or Wireshark) reading this session's userspace stream through a pipe, with the
    /// same stream the session's other sinks get (interfaces and pod names first). Returns the viewer's process
    /// (owned by the capture; it outlives the tap and keeps its capture), or null with @p error saying why.
    QProcess *openViewer(CaptureTool tool, const QStringList &extraArguments, QString *error);
    /// The hosts file naming pod addresses `ns/pod` for captures on captureInterface() (written once
    /// the mirror is up, for taps to this machine; empty before).
    QString hostsFile() const { return m_hostsFile; }
    AgentStats stats() const { return m_stats; }
    qint64 capturedPackets() const { return m_captured; }
    /// Bytes and drops of the userspace receiver (0 for the kernel interface, whose tool counts).
    qint64 capturedBytes() const { return m_capturedBytes; }
    qint64 captureDrops() const { return m_captureDrops; }
    qint64 elapsedMs() const { return m_elapsed.isValid() ? m_elapsed.elapsed() : 0; }
    QString failureSummary() const { return m_failureSummary; }
    QString failureFix() const { return m_failureFix; }
    QString stopReason() const { return m_stopReason; }
    QStringList warnings() const { return m_warnings; }

    static QString stateName(State state);

    enum class DataPath { Tunnel, Stream };
    Q_ENUM(DataPath)
    DataPath dataPath() const { return m_path; }
    /// Which path carries the packets and why, e.g. "tunnel: no packet from node worker-1 in 5 s although the
    /// agent mirrored 12; streaming through the API server instead". Empty until the path is known.
    QString dataPathText() const { return m_pathText; }

Q_SIGNALS:
    void stateChanged(podtap::TapSession::State state);
    /// Human text for the step in progress, e.g. "Waiting for podtap-web-0-ab12cd34ef to run on node-2".
    void progress(const QString &text);
    void warningRaised(const QString &text);
    void statsChanged(const podtap::AgentStats &stats);
    /// A packet summary line from tshark.
    void packetLine(const QString &line);
    void capturedPacketsChanged(qint64 count);
    /// The mirror is up: packets arrive on captureInterface().
    void ready();
    /// @p summary: what failed and why; @p fix: what to do about it (commands, YAML).
    void failed(const QString &summary, const QString &fix);
    /// The session is over (after stop or failure) and its pods, receiver and capture are gone.
    void finished();
    /// The data path was chosen or changed; @p text is dataPathText().
    void dataPathChanged(const QString &text);

private:
    void setState(State state, const QString &text);
    void fail(const QString &summary, const QString &fix = {});
    void failWithApiError(const QString &operation, const kube::ApiError &error);
    void resolve();
    void preflight();
    void startReceiver();
    void startLocalCapture();
    void addPodNames();
    void warn(const QString &text);
    void createPods();
    void createPod(const QJsonObject &pod, std::function<void()> next);
    void waitForPods();
    void onSenderPod(const QJsonObject &pod);
    void followAgentLog();
    void onAgentLine(const QByteArray &line);
    QString activePodName() const;
    void setDataPath(DataPath path, const QString &text);
    void onReachabilityProblem(const QString &text, const QString &fix);
    void switchToStream();
    void startStream();
    void onStreamStdout(const QByteArray &chunk);
    void onStreamStderr(const QByteArray &chunk);
    void onStreamFinished(const kube::ExecResult &result);
    void startCapture();
    void sendHeartbeat();
    void teardown();
    void deleteNextPod();
    void finishTeardown();
    template<typename Callback>
    void request(kube::KubeReply *reply, Callback callback);

    kube::KubeClient *m_client;
    TapRequest m_request;
    TapSessionOptions m_options;
    TapPlan m_plan;
    State m_state = State::Idle;
    QPointer<TapPlanner> m_planner; ///< kept after planning: it collects pod addresses for the hosts file
    QString m_hostsFile;
    QStringList m_createdPods;
    QStringList m_pendingDeletes;
    QPointer<kube::ListWatch> m_podWatch;
    QPointer<kube::KubeStream> m_logStream;
    QPointer<LocalReceiver> m_receiver;
    QPointer<CaptureProcess> m_capture;
    QPointer<receive::LocalCapture> m_localCapture;
    QPointer<QProcess> m_viewer; ///< the session's own tshark viewer of m_localCapture (its lines, its end)
    QSet<QString> m_namedAddresses; ///< pod IPs already written to the stream's names
    qint64 m_capturedBytes = 0;
    qint64 m_captureDrops = 0;
    QTimer m_heartbeatTimer;
    QTimer m_stepTimer;
    QTimer m_durationTimer;
    QTimer m_stoppedWait; ///< teardown reading on for the agent's `stopped` line
    QElapsedTimer m_elapsed;
    AgentStats m_stats;
    qint64 m_captured = 0;
    QPointer<TapPreflight> m_preflight;
    /// Preflight found `get` and `create pods/exec` allowed: the stream through the API server may run.
    bool m_streamAllowed = false;
    PreflightFix m_streamRefusal; ///< why it may not, with the fix (when m_streamAllowed is false)
    int m_logReopens = 0;
    bool m_agentReady = false;
    bool m_agentStopped = false; ///< the agent's `stopped` line (with its final counters) arrived
    bool m_deletesDone = false; ///< teardown deleted the pods (or gave up) and is finishing
    bool m_stoppedWaitOver = false;
    bool m_tearingDown = false;
    bool m_failedBeforeTeardown = false;
    QString m_failureSummary;
    QString m_failureFix;
    QString m_stopReason;
    QStringList m_warnings;
    /// Sender (tunnel) or Streamer (stream): the pod the session waits for and whose agent it reads.
    AgentRole m_agentRole = AgentRole::Sender;
    DataPath m_path = DataPath::Tunnel;
    QString m_pathText;
    QPointer<kube::ExecStream> m_exec;
    std::unique_ptr<receive::PcapngStreamReader> m_streamReader;
    std::unique_ptr<kube::LineFramer> m_streamErrLines;
    QStringList m_streamErrTail; ///< the agent's last human lines on stderr, for a failure message
    int m_streamAttempts = 0; ///< execs of `stream` tried (a fresh container may refuse the first)
    bool m_waitingForExec = false; ///< teardown ended the stream's stdin and waits for the exec to end
    bool m_captureStarted = false; ///< viewers opened once, also when the path changes
    bool m_readyEmitted = false;
};

} // namespace podtap
