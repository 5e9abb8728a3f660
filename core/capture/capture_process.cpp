// SPDX-License-Identifier: Apache-2.0
#include "capture/capture_process.h"

namespace podtap {
namespace {

QList<QByteArray> takeLines(QByteArray *buffer)
{
    QList<QByteArray> lines;
    qsizetype start = 0;
    for (qsizetype newline = buffer->indexOf('\n'); newline >= 0; newline = buffer->indexOf('\n', start)) {
        QByteArray line = buffer->mid(start, newline - start);
        if (line.endsWith('\r')) {
            line.chop(1);
        }
        lines << line;
        start = newline + 1;
    }
    buffer->remove(0, start);
    // A line longer than this is not a packet summary; don't let it grow without bound.
    if (buffer->size() > 1024 * 1024) {
        lines << *buffer;
        buffer->clear();
    }
    return lines;
}

} // namespace

CaptureProcess::CaptureProcess(QObject *parent)
    : QObject(parent)
{
    m_killTimer.setSingleShot(true);
    connect(&m_killTimer, &QTimer::timeout, &m_process, &QProcess::kill);
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &CaptureProcess::readStdout);
    connect(&m_process, &QProcess::readyReadStandardError, this, &CaptureProcess::readStderr);
    connect(&m_process, &QProcess::started, this, &CaptureProcess::started);
    connect(&m_process, &QProcess::finished, this, &CaptureProcess::onFinished);
    connect(&m_process, &QProcess::errorOccurred, this, &CaptureProcess::onError);
}

CaptureProcess::~CaptureProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.blockSignals(true);
        m_process.terminate();
        if (!m_process.waitForFinished(3000)) {
            m_process.kill();
            m_process.waitForFinished(3000);
        }
    }
}

void CaptureProcess::start(const CaptureCommand &command)
{
    if (!command.ok()) {
        Q_EMIT failed(command.error);
        return;
    }
    if (isRunning()) {
        Q_EMIT failed(QStringLiteral("a capture is already running (%1); stop it first.").arg(m_command.toString()));
        return;
    }
    m_command = command;
    m_stdoutBuffer.clear();
    m_stderrBuffer.clear();
    m_diagnostics.clear();
    m_packetCount = 0;
    m_stopping = false;
    m_process.setProgram(command.program);
    m_process.setArguments(command.arguments);
    m_process.start(QIODevice::ReadOnly);
}

void CaptureProcess::stop(int graceMs)
{
    if (m_process.state() == QProcess::NotRunning) {
        return;
    }
    m_stopping = true;
    m_process.terminate();
    m_killTimer.start(graceMs);
}

bool CaptureProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

void CaptureProcess::readStdout()
{
    m_stdoutBuffer += m_process.readAllStandardOutput();
    const QList<QByteArray> lines = takeLines(&m_stdoutBuffer);
    if (lines.isEmpty()) {
        return;
    }
    for (const QByteArray &line : lines) {
        ++m_packetCount;
        Q_EMIT lineReceived(QString::fromUtf8(line));
    }
    Q_EMIT packetCountChanged(m_packetCount);
}

void CaptureProcess::readStderr()
{
    m_stderrBuffer += m_process.readAllStandardError();
    for (const QByteArray &raw : takeLines(&m_stderrBuffer)) {
        const QString line = QString::fromUtf8(raw).trimmed();
        if (line.isEmpty()) {
            continue;
        }
        m_diagnostics << line;
        if (m_diagnostics.size() > 20) {
            m_diagnostics.removeFirst();
        }
        Q_EMIT diagnosticReceived(line);
    }
}

void CaptureProcess::onFinished(int exitCode, QProcess::ExitStatus status)
{
    m_killTimer.stop();
    readStdout();
    if (!m_stdoutBuffer.isEmpty()) {
        m_stdoutBuffer += '\n';
        readStdout();
    }
    readStderr();
    if (!m_stderrBuffer.isEmpty()) {
        m_stderrBuffer += '\n';
        readStderr();
    }
    const bool cleanly = m_stopping || (status == QProcess::NormalExit && exitCode == 0);
    if (!cleanly) {
        Q_EMIT failed(QStringLiteral("%1 ended with %2: %3")
                          .arg(m_command.toString(),
                              status == QProcess::CrashExit ? QStringLiteral("a crash")
                                                            : QStringLiteral("exit code %1").arg(exitCode),
                              m_diagnostics.isEmpty() ? QStringLiteral("(no message)") : m_diagnostics.last()));
    }
    m_stopping = false;
    Q_EMIT finished(cleanly, exitCode);
}

void CaptureProcess::onError(QProcess::ProcessError error)
{
    if (error == QProcess::FailedToStart) {
        Q_EMIT failed(QStringLiteral("cannot start %1: %2. Check that it is installed and executable.")
                          .arg(m_command.program, m_process.errorString()));
        Q_EMIT finished(false, -1);
    }
}

} // namespace podtap
