// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArrayList>
#include <QObject>

namespace podtap::sim {

/// @brief How a `pods/exec` command ended.
struct ExecResult
{
    /// Empty: the command ran and exited with exitCode. Otherwise it could not run (an unknown
    /// executable, a container that is not running) and this is the runtime's error text.
    QByteArray error;
    int exitCode = 0;
};

/// @brief A command started by `pods/exec`, seen from the WebSocket session that serves it.
///
/// The session connects to the signals, then calls start(). Output is emitted in order; finished()
/// comes after the last output. setOutputPaused(true) makes the command stop producing output (a
/// process's pipes are no longer read) until it is unpaused: that is the back-pressure towards a
/// client that reads slowly.
class ExecCommand : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExecCommand)

public:
    using QObject::QObject;
    ~ExecCommand() override = default;

    virtual void start() = 0;
    virtual void writeStdin(const QByteArray &data) = 0;
    /// Stdin bytes accepted but not yet taken by the command.
    virtual qint64 pendingStdinBytes() const = 0;
    virtual void closeStdin() = 0;
    virtual void setOutputPaused(bool paused) = 0;
    /// The client went away: stdin closes now; a command that does not exit within a grace period
    /// gets SIGTERM, then SIGKILL. finished() still comes.
    virtual void terminate() = 0;

Q_SIGNALS:
    /// @p channel: 1 stdout, 2 stderr.
    void output(int channel, const QByteArray &data);
    /// pendingStdinBytes() went down: the session may read more input from the client.
    void stdinDrained();
    void finished(const podtap::sim::ExecResult &result);
};

/// @brief The commands kube-sim runs for `pods/exec` without `--rig` (no process is started):
/// `echo ARGS`, `stderr ARGS`, `exit N`, `cat`, `hostname`, `seq N`; anything else fails as an
/// unknown executable does in a container. See tests/sim/README.md.
class BuiltinExecCommand final : public ExecCommand
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BuiltinExecCommand)

public:
    BuiltinExecCommand(QByteArrayList command, QByteArray podName, QObject *parent = nullptr);

    void start() override;
    void writeStdin(const QByteArray &data) override;
    qint64 pendingStdinBytes() const override { return 0; }
    void closeStdin() override;
    void setOutputPaused(bool paused) override;
    void terminate() override;

    /// The error text a runtime gives for an executable that is not in the container.
    static QByteArray notFoundError(const QByteArray &program);

private:
    void finish(int exitCode);
    void produce();

    QByteArrayList m_command;
    QByteArray m_podName;
    bool m_cat = false;
    bool m_stdinClosed = false; // may come before start()'s deferred part
    bool m_done = false;
    bool m_paused = false;
    qint64 m_seqNext = 0; // `seq`: the next number to print, up to m_seqLast
    qint64 m_seqLast = -1;
};

} // namespace podtap::sim

Q_DECLARE_METATYPE(podtap::sim::ExecResult)
