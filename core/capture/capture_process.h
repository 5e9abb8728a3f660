// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "capture/capture_command.h"

#include <QByteArray>
#include <QObject>
#include <QProcess>
#include <QTimer>

namespace podtap {

/// @brief Runs tshark for a tap: emits its packet lines and a running packet count, and stops it cleanly.
///
/// Each stdout line of `tshark -l` is one packet summary. stop() sends SIGTERM, which makes tshark
/// finish the pcapng file; only if it has not exited after the grace period is it killed.
class CaptureProcess final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CaptureProcess)

public:
    explicit CaptureProcess(QObject *parent = nullptr);
    ~CaptureProcess() override;

    /// Starts @p command. Emits failed() (not a throw) when it cannot start.
    void start(const CaptureCommand &command);
    /// Asks the capture to end (SIGTERM), killing it after @p graceMs. finished() follows.
    void stop(int graceMs = 5000);

    bool isRunning() const;
    qint64 packetCount() const { return m_packetCount; }
    /// The last lines tshark wrote on stderr (for error messages), at most 20.
    QStringList diagnostics() const { return m_diagnostics; }

Q_SIGNALS:
    void started();
    /// One packet summary line from stdout.
    void lineReceived(const QString &line);
    void packetCountChanged(qint64 count);
    /// A line tshark wrote on stderr ("Capturing on ...", warnings, errors).
    void diagnosticReceived(const QString &line);
    /// The capture could not start or ended with an error; @p message names the command and the reason.
    void failed(const QString &message);
    /// The process is gone. @p cleanly: it was stopped on request or ended with exit code 0.
    void finished(bool cleanly, int exitCode);

private:
    void readStdout();
    void readStderr();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void onError(QProcess::ProcessError error);

    QProcess m_process;
    QTimer m_killTimer;
    CaptureCommand m_command;
    QByteArray m_stdoutBuffer;
    QByteArray m_stderrBuffer;
    QStringList m_diagnostics;
    qint64 m_packetCount = 0;
    bool m_stopping = false;
};

} // namespace podtap
