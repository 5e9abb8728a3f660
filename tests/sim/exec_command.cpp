// SPDX-License-Identifier: Apache-2.0
#include "exec_command.h"

#include <QRandomGenerator>
#include <QTimer>

namespace podtap::sim {

namespace {
constexpr qsizetype seqChunkBytes = 64 * 1024;
} // namespace

BuiltinExecCommand::BuiltinExecCommand(QByteArrayList command, QByteArray podName, QObject *parent)
    : ExecCommand(parent)
    , m_command(std::move(command))
    , m_podName(std::move(podName))
{
}

QByteArray BuiltinExecCommand::notFoundError(const QByteArray &program)
{
    // containerd + runc's wording, as the kubelet passes it on.
    quint32 words[8];
    QRandomGenerator::global()->fillRange(words);
    const QByteArray execId = QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
    return "failed to exec in container: failed to start exec \"" + execId +
        "\": OCI runtime exec failed: exec failed: unable to start container process: exec: \"" + program +
        "\": executable file not found in $PATH: unknown";
}

void BuiltinExecCommand::start()
{
    // Deferred, so the session has sent its opening frame before any output.
    QTimer::singleShot(0, this, [this] {
        const QByteArray program = m_command.value(0);
        const QByteArrayList args = m_command.mid(1);
        if (program == "echo") {
            Q_EMIT output(1, args.join(' ') + '\n');
            finish(0);
        } else if (program == "stderr") {
            Q_EMIT output(2, args.join(' ') + '\n');
            finish(0);
        } else if (program == "exit") {
            bool ok = false;
            const int code = args.value(0).toInt(&ok);
            if (!ok || args.size() != 1 || code < 0 || code > 255) {
                Q_EMIT output(2, "exit: usage: exit N (0-255)\n");
                finish(2);
                return;
            }
            finish(code);
        } else if (program == "hostname") {
            Q_EMIT output(1, m_podName + '\n');
            finish(0);
        } else if (program == "cat" && args.isEmpty()) {
            m_cat = true; // copies stdin until the client closes it (closeStdin)
            if (m_stdinClosed) {
                finish(0);
            }
        } else if (program == "seq" && args.size() == 1) {
            bool ok = false;
            m_seqLast = args.value(0).toLongLong(&ok);
            if (!ok || m_seqLast < 0) {
                Q_EMIT output(2, "seq: invalid argument: " + args.value(0) + '\n');
                finish(1);
                return;
            }
            m_seqNext = 1;
            produce();
        } else {
            m_done = true;
            Q_EMIT finished(ExecResult {notFoundError(program), 0});
        }
    });
}

void BuiltinExecCommand::produce()
{
    if (m_done || m_paused) {
        return;
    }
    QByteArray chunk;
    while (m_seqNext <= m_seqLast && chunk.size() < seqChunkBytes) {
        chunk += QByteArray::number(m_seqNext++) + '\n';
    }
    if (!chunk.isEmpty()) {
        Q_EMIT output(1, chunk);
    }
    if (m_seqNext > m_seqLast) {
        finish(0);
        return;
    }
    // One chunk per event-loop turn, so pauses and the socket's progress interleave with output.
    QTimer::singleShot(0, this, &BuiltinExecCommand::produce);
}

void BuiltinExecCommand::writeStdin(const QByteArray &data)
{
    if (m_cat && !m_done && !data.isEmpty()) {
        Q_EMIT output(1, data);
    }
}

void BuiltinExecCommand::closeStdin()
{
    m_stdinClosed = true;
    if (m_cat && !m_done) {
        finish(0);
    }
}

void BuiltinExecCommand::setOutputPaused(bool paused)
{
    const bool resume = m_paused && !paused;
    m_paused = paused;
    if (resume && m_seqLast >= 0) {
        QTimer::singleShot(0, this, &BuiltinExecCommand::produce);
    }
}

void BuiltinExecCommand::terminate()
{
    if (m_cat) {
        closeStdin();
    } else if (!m_done) {
        finish(128 + 15); // as a process ended by SIGTERM
    }
}

void BuiltinExecCommand::finish(int exitCode)
{
    if (m_done) {
        return;
    }
    m_done = true;
    Q_EMIT finished(ExecResult {{}, exitCode});
}

} // namespace podtap::sim
