// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "exec_command.h"

#include <QProcess>
#include <QSocketNotifier>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace podtap::sim {

/// @brief A `pods/exec` command on the rig: a real process in a container's context.
///
/// `podtap-sim-pod exec` joins the container's cgroup, namespaces and root, takes its main
/// process's environment and working directory, and runs the command. Its stdin, stdout and
/// stderr are pipes of this object (never the pod log); while output is paused the pipes are not
/// read, so a slow client slows the command down instead of filling memory.
class RigExecCommand final : public ExecCommand
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RigExecCommand)

public:
    struct Options
    {
        QString podBinary; ///< podtap-sim-pod
        qint64 targetPid = 0; ///< the container's main process; 0: the container is not running
        QString cgroup;
        int deathSignal = 0;
        QByteArray containerName;
        QByteArrayList command;
    };

    explicit RigExecCommand(Options options, QObject *parent = nullptr);
    ~RigExecCommand() override;

    void start() override;
    void writeStdin(const QByteArray &data) override;
    qint64 pendingStdinBytes() const override { return m_stdinBuffer.size(); }
    void closeStdin() override;
    void setOutputPaused(bool paused) override;
    void terminate() override;

    /// Sends @p signal to the process if it still runs (the container stops).
    void signal(int signal);
    qint64 processId() const;

    /// Grace after the client went away before SIGTERM, and after SIGTERM before SIGKILL.
    static constexpr int terminateGraceMs = 2000;
    static constexpr int killGraceMs = 3000;

private:
    struct Pipe
    {
        int fd = -1;
        std::unique_ptr<QSocketNotifier> notifier;
        bool eof = false;
    };

    void readOutput(int channel);
    void flushStdin();
    void closeStdinNow();
    void maybeFinish();
    void fail(const QByteArray &error);

    Options m_options;
    QProcess m_process;
    Pipe m_stdout;
    Pipe m_stderr;
    int m_stdinFd = -1;
    std::unique_ptr<QSocketNotifier> m_stdinNotifier;
    QByteArray m_stdinBuffer;
    bool m_stdinClosing = false;
    int m_statusFd = -1;
    QByteArray m_statusText;
    QTimer m_termTimer;
    QTimer m_killTimer;
    bool m_paused = false;
    bool m_exited = false;
    bool m_done = false;
    int m_exitCode = 0;
};

} // namespace podtap::sim
