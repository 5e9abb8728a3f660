// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "api_error.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QMetaType>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QTimer>

class QNetworkProxy;
class QNetworkRequest;
class QSslConfiguration;
class QSslError;
class QWebSocket;

namespace podtap::kube {

class KubeClient;

/// @brief What to run through `pods/exec`: the pod, its container and the command.
struct ExecRequest
{
    QString ns;
    QString pod;
    QString container; ///< empty: the pod's only (or default) container
    QStringList command;
    bool stdinEnabled = true;
};

/// @brief How an exec ended.
///
/// - The command ran and exited: exitCode >= 0, error empty (a non-zero exit is the command's answer,
///   not a failure of the exec).
/// - The exec failed (refused upgrade, TLS, connection, an unexpected close, a connection silent past the
///   keep-alive's timeout, a Failure status):
///   exitCode -1, error names the pod, the operation, the reason and the fix; apiError keeps the
///   server's words (httpStatus, reason) for callers that branch on them.
/// - The client ended it first (abort(), or closeStdin() on v4): exitCode -1, error empty,
///   endedByClient true.
struct ExecResult
{
    int exitCode = -1;
    QString error;
    ApiError apiError;
    bool endedByClient = false;

    bool ok() const { return error.isEmpty() && exitCode == 0; }
};

/// @brief Runs a command in a pod through `pods/exec` over a WebSocket, as `kubectl exec` does.
///
/// Speaks the `v5.channel.k8s.io` subprotocol and falls back to `v4.channel.k8s.io` (both are
/// offered; the server picks). Each binary message starts with its channel: 0 stdin, 1 stdout,
/// 2 stderr, 3 error (a Status: Success, or NonZeroExitCode with the exit code in details.causes),
/// 4 resize, and in v5 255 = close a channel. v4 has no way to close stdin alone: there
/// closeStdin() closes the connection, and the exit status is then unknown.
///
/// The connection uses the KubeClient's TLS (CA, client certificate, insecure-skip, tls-server-name),
/// credentials (bearer token, token file, exec plugin with one retry after a 401, basic auth),
/// impersonation headers and proxy, so an exec reaches the server exactly as every other request.
///
/// Back-pressure: the stream holds no stdout itself. Each stdout message is emitted as it arrives;
/// the WebSocket's own reassembly is capped at maxMessageBytes(). A consumer that cannot keep up
/// (a queue to another thread, a pipe to a viewer) turns on acknowledgements with
/// setMaxUnacknowledgedBytes(): stdout bytes emitted count as outstanding until it calls
/// acknowledge(), and a stdout message that would take the outstanding bytes above the limit is
/// dropped whole and counted (droppedBytes(), droppedMessages(), stdoutDropped()) instead of being
/// queued anywhere. A consumer parsing a framed stream (pcapng) resynchronises after stdoutDropped().
/// Qt WebSockets cannot pause reading a socket, so dropping is the only bound that does not stop the
/// event loop; the agent's own ring counts what it drops when the pipe itself is full.
///
/// Keep-alive (setKeepAlive()): once open, a WebSocket ping goes out every pingIntervalMs(), and an exec
/// from whose server nothing at all (data or pong) arrived for silenceTimeoutMs() ends with a Network error.
/// Without it a connection whose path died without a close (VPN or Wi-Fi change, a NAT or load balancer
/// forgetting it) stays "open" for ever, as TCP itself notices nothing while the client only reads.
class ExecStream final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExecStream)

public:
    static constexpr auto kProtocolV5 = "v5.channel.k8s.io";
    static constexpr auto kProtocolV4 = "v4.channel.k8s.io";
    /// Largest WebSocket message accepted (the API server relays the command's output in chunks of
    /// at most a few tens of KiB); a bigger one ends the exec with an error rather than grow memory.
    static constexpr qint64 kDefaultMaxMessageBytes = 4 * 1024 * 1024;
    /// Keep-alive defaults: a WebSocket ping every 15 s; 45 s without any frame from the server ends the exec.
    static constexpr int kDefaultPingIntervalMs = 15000;
    static constexpr int kDefaultSilenceTimeoutMs = 45000;

    /// @p client must outlive the stream.
    ExecStream(KubeClient *client, ExecRequest request, QObject *parent = nullptr);
    ~ExecStream() override;

    const ExecRequest &request() const { return m_request; }

    /// Connects; emits opened() when the server accepted the upgrade, or finished() with the reason.
    /// Call once.
    void start();
    /// Sends @p data on stdin (split into messages of at most 32 KiB). Before opened() it is held,
    /// up to 1 MiB; returns false (nothing sent) when stdin is off or closed, the exec has ended, or
    /// more would be held than that.
    bool writeStdin(const QByteArray &data);
    /// Ends stdin (the command sees EOF). v5: a close message on channel 0. v4: closes the
    /// connection (the protocol has no other way), so finished() follows with endedByClient.
    void closeStdin();
    /// Ends the exec at once; finished() follows (endedByClient) unless it already came.
    void abort();

    bool isOpen() const { return m_open; }
    bool isFinished() const { return m_finished; }
    /// The subprotocol the server chose (kProtocolV5 or kProtocolV4); empty before opened().
    QString protocol() const { return m_protocol; }

    /// The subprotocols offered, in order of preference (default: v5, then v4). Before start(). Offering
    /// only kProtocolV4 reproduces an API server older than 1.30 (or one with the v5 translation
    /// turned off) against a server that speaks both.
    void setOfferedProtocols(const QStringList &protocols) { m_offeredProtocols = protocols; }
    const QStringList &offeredProtocols() const { return m_offeredProtocols; }

    /// Keep-alive, before start(): a WebSocket ping every @p pingIntervalMs once open, and when nothing at all
    /// (data, pong) came from the server for @p silenceTimeoutMs the exec ends with an error naming the silence.
    /// A connection whose network path died without a close (a half-open one) would otherwise look open for
    /// ever. 0 turns either off; the server answers pings, so a quiet command is not mistaken for a dead path.
    void setKeepAlive(int pingIntervalMs, int silenceTimeoutMs)
    {
        m_pingIntervalMs = qMax(0, pingIntervalMs);
        m_silenceTimeoutMs = qMax(0, silenceTimeoutMs);
    }
    int pingIntervalMs() const { return m_pingIntervalMs; }
    int silenceTimeoutMs() const { return m_silenceTimeoutMs; }

    /// Caps one incoming WebSocket message (default kDefaultMaxMessageBytes). Before start().
    void setMaxMessageBytes(qint64 bytes) { m_maxMessageBytes = bytes; }
    qint64 maxMessageBytes() const { return m_maxMessageBytes; }

    /// Turns on consumer acknowledgements (see the class comment): at most @p bytes of stdout are
    /// outstanding. 0 (the default): every stdout message is emitted, nothing is counted.
    void setMaxUnacknowledgedBytes(qint64 bytes) { m_maxUnacknowledged = qMax<qint64>(0, bytes); }
    qint64 maxUnacknowledgedBytes() const { return m_maxUnacknowledged; }
    /// The consumer is done with @p bytes of what stdoutData() delivered.
    void acknowledge(qint64 bytes);
    /// stdout bytes emitted and not yet acknowledged (0 without acknowledgements).
    qint64 unacknowledgedBytes() const { return m_unacknowledged; }

    /// stdout bytes dropped because the consumer was full.
    quint64 droppedBytes() const { return m_droppedBytes; }
    quint64 droppedMessages() const { return m_droppedMessages; }
    /// stdout bytes delivered through stdoutData().
    quint64 deliveredBytes() const { return m_deliveredBytes; }

Q_SIGNALS:
    void opened();
    void stdoutData(const QByteArray &data);
    void stderrData(const QByteArray &data);
    /// A stdout message of @p bytes was dropped (back-pressure): the stdout byte stream has a gap here.
    void stdoutDropped(qint64 bytes);
    /// Exactly once per start().
    void finished(const podtap::kube::ExecResult &result);

private:
    QString operation() const;
    void openSocket(const QNetworkRequest &request, const QSslConfiguration &ssl, const QNetworkProxy &proxy,
        const QString &tlsServerName, int generation);
    void onConnected();
    void onMessage(const QByteArray &message);
    void onStatus(const QByteArray &json);
    void onSocketError();
    void onDisconnected();
    void onSslErrors(const QList<QSslError> &errors);
    void sendStdin(const QByteArray &data);
    void failWith(const ApiError &error, const QString &fix = {});
    void finish(ExecResult result);
    void dropSocket();
    void startKeepAlive();
    void stopKeepAlive();
    void noteHeard();
    void onPingDue();
    void onSilenceCheck();

    QPointer<KubeClient> m_client;
    ExecRequest m_request;
    QWebSocket *m_socket = nullptr;
    QString m_protocol;
    QStringList m_offeredProtocols {QLatin1String(kProtocolV5), QLatin1String(kProtocolV4)};
    QString m_tlsServerName;
    QStringList m_sslErrors;
    QByteArray m_heldStdin;
    qint64 m_maxMessageBytes = kDefaultMaxMessageBytes;
    int m_pingIntervalMs = kDefaultPingIntervalMs;
    int m_silenceTimeoutMs = kDefaultSilenceTimeoutMs;
    QTimer m_pingTimer;
    QTimer m_silenceTimer; ///< re-armed lazily from m_lastHeard, not restarted per message
    QElapsedTimer m_lastHeard;
    int m_pingsUnanswered = 0; ///< pings sent since the server last sent anything
    qint64 m_maxUnacknowledged = 0;
    qint64 m_unacknowledged = 0;
    quint64 m_droppedBytes = 0;
    quint64 m_droppedMessages = 0;
    quint64 m_deliveredBytes = 0;
    int m_credentialGeneration = -1;
    bool m_started = false;
    bool m_open = false;
    bool m_finished = false;
    bool m_retriedAuth = false;
    bool m_stdinClosed = false;
    bool m_closeStdinWhenOpen = false;
    bool m_statusSeen = false;
    ExecResult m_statusResult; ///< from channel 3, delivered when the connection ends
};

} // namespace podtap::kube

Q_DECLARE_METATYPE(podtap::kube::ExecResult)
