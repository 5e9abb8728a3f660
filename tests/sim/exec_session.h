// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "exec_command.h"
#include "websocket.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace podtap::sim {

class HttpConnection;

/// @brief One `pods/exec` over WebSocket (v5.channel.k8s.io or v4.channel.k8s.io), after the
/// handshake: maps the command's streams to channels and reports its end as a Status.
///
/// - Every message from the server is binary: one channel byte (1 stdout, 2 stderr, 3 error), then
///   data. The first message is an empty one on the lowest requested output channel (stdout, else
///   stderr, else error), as the real server sends to say the streams are open.
/// - From the client: channel 0 is stdin, 4 resize (ignored: no TTY), other channels are dropped;
///   in v5, `255 N` closes stream N (N = 0 closes the command's stdin).
/// - When the command ends: a Status on channel 3, a close frame (1000), and the TCP connection
///   ends once the client answers the close (or after a timeout).
/// - The socket closing first closes the command's stdin (ExecCommand::terminate()).
/// - Back-pressure: above a high-water mark of unsent bytes the command's output is paused, and
///   client input is read only while the command takes its stdin.
/// - stall() (the stallExecs fault) makes the session a half-open connection seen from the client.
class ExecSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExecSession)

public:
    struct Options
    {
        QByteArray protocol; // the negotiated subprotocol
        bool stdinOpen = false;
        bool stdoutOpen = true;
        bool stderrOpen = true;
        QByteArrayList command;
    };

    /// Takes ownership of @p command and starts it; the connection must already be upgraded.
    ExecSession(HttpConnection *connection, Options options, ExecCommand *command, QObject *parent = nullptr);
    ~ExecSession() override;

    /// Sends @p status on the error channel and closes, without a command (e.g. the container is not running).
    static void failBeforeStart(HttpConnection *connection, const QByteArray &status);

    /// The Status JSON the real server writes on channel 3 for @p result of @p command.
    static QByteArray statusFor(const ExecResult &result, const QByteArrayList &command);
    /// An InternalError Status for @p error, as apierrors.NewInternalError marshals it.
    static QByteArray internalErrorStatus(const QByteArray &error);

    static constexpr qint64 highWaterBytes = 1024 * 1024;

    /// From now on sends nothing (output, pongs, the Status, the close) and acts on nothing the client sends,
    /// as when the network path to the client died without a FIN. The session ends only when the client drops
    /// the connection; the command is then stopped as for any client that went away.
    void stall();

Q_SIGNALS:
    /// The command ended (or was never started); emitted once.
    void commandFinished();
    /// The client reads slower than the command writes: its output is paused.
    void outputPaused();

private:
    void readInput();
    void handle(const ws::FrameParser::Message &message);
    void sendChannel(int channel, const QByteArray &data);
    void onOutput(int channel, const QByteArray &data);
    void onFinished(const ExecResult &result);
    void onConnectionClosed();
    void onDrained();
    /// Starts the closing handshake with @p code; the TCP connection ends when the client answers.
    void sendClose(quint16 code, const QByteArray &reason);

    QPointer<HttpConnection> m_connection;
    Options m_options;
    QPointer<ExecCommand> m_command;
    ws::FrameParser m_parser;
    QTimer m_closeTimer;
    bool m_v5 = false;
    bool m_stdinClosed = false;
    bool m_outputPaused = false;
    bool m_commandDone = false;
    bool m_closeSent = false;
    bool m_connectionGone = false;
    bool m_stalled = false;
};

} // namespace podtap::sim
