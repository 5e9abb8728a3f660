// SPDX-License-Identifier: Apache-2.0
#include "exec_session.h"

#include "http_server.h"
#include "json_writer.h"

namespace podtap::sim {

namespace {

constexpr int stdinChannel = 0;
constexpr int errorChannel = 3;
constexpr quint8 closeSignal = 255; // v5: "255 N" half-closes stream N
constexpr qint64 readChunkBytes = 64 * 1024;
constexpr qint64 stdinHighWaterBytes = 1024 * 1024;
constexpr int closeHandshakeTimeoutMs = 30000;

} // namespace

ExecSession::ExecSession(HttpConnection *connection, Options options, ExecCommand *command, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_options(std::move(options))
    , m_command(command)
    , m_v5(m_options.protocol == "v5.channel.k8s.io")
{
    command->setParent(this);
    m_closeTimer.setSingleShot(true);
    connect(&m_closeTimer, &QTimer::timeout, this, [this] {
        // The client never answered our close frame: end the connection anyway.
        if (m_connection) {
            m_connection->abort();
        }
    });
    connect(connection, &HttpConnection::rawReadyRead, this, &ExecSession::readInput);
    connect(connection, &HttpConnection::closed, this, &ExecSession::onConnectionClosed);
    connect(connection, &HttpConnection::drained, this, &ExecSession::onDrained);
    connect(command, &ExecCommand::output, this, &ExecSession::onOutput);
    connect(command, &ExecCommand::finished, this, &ExecSession::onFinished);
    connect(command, &ExecCommand::stdinDrained, this, &ExecSession::readInput);

    // The real server's opening message: an empty one on the lowest writable channel.
    sendChannel(m_options.stdoutOpen ? 1 : (m_options.stderrOpen ? 2 : errorChannel), {});
    if (!m_options.stdinOpen) {
        m_stdinClosed = true;
    }
    command->start();
    if (m_stdinClosed) {
        command->closeStdin();
    }
    readInput();
}

ExecSession::~ExecSession() = default;

void ExecSession::failBeforeStart(HttpConnection *connection, const QByteArray &status)
{
    connection->writeRaw(ws::encodeFrame(ws::Binary, QByteArray(1, char(errorChannel)) + status));
    connection->writeRaw(ws::encodeClose(ws::NormalClosure));
    connection->closeGracefully();
}

QByteArray ExecSession::internalErrorStatus(const QByteArray &error)
{
    // Go's json.Marshal of metav1.Status from apierrors.NewInternalError: no kind/apiVersion.
    JsonWriter json(512);
    json.beginObject();
    json.key("metadata").beginObject().endObject();
    json.field("status", "Failure").field("message", "Internal error occurred: " + error);
    json.field("reason", "InternalError");
    json.key("details").beginObject().key("causes").beginArray();
    json.beginObject().field("message", error).endObject();
    json.endArray().endObject();
    json.field("code", 500).endObject();
    return json.take();
}

QByteArray ExecSession::statusFor(const ExecResult &result, const QByteArrayList &command)
{
    if (!result.error.isEmpty()) {
        return internalErrorStatus("error executing command in container: " + result.error);
    }
    JsonWriter json(512);
    json.beginObject();
    json.key("metadata").beginObject().endObject();
    if (result.exitCode == 0) {
        json.field("status", "Success").endObject();
        return json.take();
    }
    const QByteArray code = QByteArray::number(result.exitCode);
    json.field("status", "Failure")
        .field("message",
            "command terminated with non-zero exit code: error executing command [" + command.join(' ') +
                "], exit code " + code)
        .field("reason", "NonZeroExitCode");
    json.key("details").beginObject().key("causes").beginArray();
    json.beginObject().field("reason", "ExitCode").field("message", code).endObject();
    json.endArray().endObject().endObject();
    return json.take();
}

void ExecSession::stall()
{
    m_stalled = true;
    m_closeTimer.stop(); // a dead path delivers no close either: only the client's giving up ends it
    if (m_outputPaused && m_command) {
        m_outputPaused = false;
        m_command->setOutputPaused(false); // the output is lost on the way now, not waited for
    }
}

void ExecSession::sendChannel(int channel, const QByteArray &data)
{
    if (m_connection && !m_connectionGone && !m_stalled) {
        m_connection->writeRaw(ws::encodeFrame(ws::Binary, QByteArray(1, char(channel)) + data));
    }
}

void ExecSession::readInput()
{
    if (m_stalled) {
        // Nothing the client sends arrives: read it and drop it (pings and close frames too).
        while (m_connection && !m_connectionGone && !m_connection->readRaw(readChunkBytes).isEmpty()) { }
        return;
    }
    while (m_connection && !m_connectionGone && !m_parser.failed()) {
        // Hold the client back while the command does not take its stdin.
        if (m_command && !m_commandDone && m_command->pendingStdinBytes() > stdinHighWaterBytes) {
            return;
        }
        const QByteArray data = m_connection->readRaw(readChunkBytes);
        if (data.isEmpty()) {
            return;
        }
        m_parser.append(data);
        ws::FrameParser::Message message;
        while (m_parser.next(&message)) {
            handle(message);
            if (m_connectionGone) {
                return;
            }
        }
        if (m_parser.failed()) {
            sendClose(m_parser.closeCode(), m_parser.error());
            if (m_command && !m_commandDone) {
                m_command->terminate();
            }
            return;
        }
    }
}

void ExecSession::handle(const ws::FrameParser::Message &message)
{
    switch (message.opcode) {
    case ws::Ping:
        if (m_connection && !m_closeSent) {
            m_connection->writeRaw(ws::encodeFrame(ws::Pong, message.payload));
        }
        return;
    case ws::Pong:
        return;
    case ws::Close:
        if (!m_closeSent) {
            // The client ends the session: answer its close, and the command's stdin closes.
            const QByteArray code = message.payload.left(2);
            m_connection->writeRaw(ws::encodeFrame(ws::Close, code));
            m_closeSent = true;
            if (m_command && !m_commandDone) {
                m_command->terminate();
            }
        }
        m_connection->closeGracefully();
        return;
    default:
        break;
    }
    // A data message (text or binary): a channel byte, then data.
    const QByteArray &payload = message.payload;
    if (payload.isEmpty() || m_closeSent) {
        return;
    }
    const auto channel = quint8(payload.at(0));
    if (m_v5 && channel == closeSignal) {
        if (payload.size() != 2) {
            sendClose(ws::ProtocolError, "stream close signal needs exactly one stream byte");
            if (m_command && !m_commandDone) {
                m_command->terminate();
            }
            return;
        }
        if (quint8(payload.at(1)) == stdinChannel && !m_stdinClosed) {
            m_stdinClosed = true;
            if (m_command && !m_commandDone) {
                m_command->closeStdin();
            }
        }
        return;
    }
    if (channel == stdinChannel && !m_stdinClosed && m_command && !m_commandDone) {
        m_command->writeStdin(payload.mid(1));
    }
    // Channel 4 carries a TTY's size, and the sim runs no TTY. Every channel but stdin is dropped,
    // as the real server drops frames for channels it does not read.
}

void ExecSession::onOutput(int channel, const QByteArray &data)
{
    if ((channel == 1 && !m_options.stdoutOpen) || (channel == 2 && !m_options.stderrOpen) || data.isEmpty()) {
        return;
    }
    sendChannel(channel, data);
    if (!m_outputPaused && !m_stalled && m_connection && m_connection->pendingBytes() > highWaterBytes) {
        m_outputPaused = true;
        m_command->setOutputPaused(true);
        Q_EMIT outputPaused();
    }
}

void ExecSession::onDrained()
{
    if (m_outputPaused && m_command) {
        m_outputPaused = false;
        m_command->setOutputPaused(false);
    }
}

void ExecSession::onFinished(const ExecResult &result)
{
    if (m_commandDone) {
        return;
    }
    m_commandDone = true;
    if (!m_connectionGone && !m_closeSent) {
        sendChannel(errorChannel, statusFor(result, m_options.command));
        sendClose(ws::NormalClosure, {});
    }
    Q_EMIT commandFinished();
    if (m_connectionGone) {
        deleteLater();
    }
}

void ExecSession::sendClose(quint16 code, const QByteArray &reason)
{
    if (!m_connection || m_closeSent || m_stalled) {
        return;
    }
    m_closeSent = true;
    m_connection->writeRaw(ws::encodeClose(code, reason));
    // The client answers with its close frame after reading everything before ours; closing TCP
    // earlier could reset the connection and lose output still on its way.
    m_closeTimer.start(closeHandshakeTimeoutMs);
}

void ExecSession::onConnectionClosed()
{
    m_connectionGone = true;
    m_closeTimer.stop();
    if (m_commandDone) {
        deleteLater();
        return;
    }
    if (m_command) {
        m_command->setOutputPaused(false); // nothing to wait for: drain and drop
        m_command->terminate();
    }
}

} // namespace podtap::sim
