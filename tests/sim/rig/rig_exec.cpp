// SPDX-License-Identifier: Apache-2.0
#include "rig/rig_exec.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

namespace podtap::sim {

namespace {

constexpr qsizetype readChunkBytes = 64 * 1024;

void closeFd(int &fd)
{
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

} // namespace

RigExecCommand::RigExecCommand(Options options, QObject *parent)
    : ExecCommand(parent)
    , m_options(std::move(options))
{
    m_termTimer.setSingleShot(true);
    m_killTimer.setSingleShot(true);
    connect(&m_termTimer, &QTimer::timeout, this, [this] {
        signal(SIGTERM);
        m_killTimer.start(killGraceMs);
    });
    connect(&m_killTimer, &QTimer::timeout, this, [this] { signal(SIGKILL); });
}

RigExecCommand::~RigExecCommand()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.disconnect(this);
        m_process.kill();
        m_process.waitForFinished(1000);
    }
    m_stdout.notifier.reset();
    m_stderr.notifier.reset();
    m_stdinNotifier.reset();
    closeFd(m_stdout.fd);
    closeFd(m_stderr.fd);
    closeFd(m_stdinFd);
    closeFd(m_statusFd);
}

qint64 RigExecCommand::processId() const
{
    return m_process.processId();
}

void RigExecCommand::fail(const QByteArray &error)
{
    QMetaObject::invokeMethod(
        this,
        [this, error] {
            if (!m_done) {
                m_done = true;
                Q_EMIT finished(ExecResult {error, 0});
            }
        },
        Qt::QueuedConnection);
}

void RigExecCommand::start()
{
    // A write to the stdin of a command that exited must fail with EPIPE, not end the sim.
    static std::once_flag ignorePipe;
    std::call_once(ignorePipe, [] { ::signal(SIGPIPE, SIG_IGN); });

    if (m_options.targetPid <= 0) {
        fail("container not found (\"" + m_options.containerName + "\")");
        return;
    }
    int in[2], out[2], err[2], status[2];
    if (::pipe2(in, O_CLOEXEC) != 0) {
        fail("create a pipe: " + QByteArray(std::strerror(errno)));
        return;
    }
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(status, O_CLOEXEC) != 0) {
        fail("create a pipe: " + QByteArray(std::strerror(errno)));
        return;
    }
    m_stdinFd = in[1];
    m_stdout.fd = out[0];
    m_stderr.fd = err[0];
    m_statusFd = status[0];
    for (int fd : {m_stdinFd, m_stdout.fd, m_stderr.fd, m_statusFd}) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    const int childIn = in[0], childOut = out[1], childErr = err[1], childStatus = status[1];

    QStringList args {QStringLiteral("exec"), QStringLiteral("--target"), QString::number(m_options.targetPid),
        QStringLiteral("--status-fd"), QString::number(childStatus)};
    if (!m_options.cgroup.isEmpty()) {
        args << QStringLiteral("--cgroup") << m_options.cgroup;
    }
    if (m_options.deathSignal > 0) {
        args << QStringLiteral("--pdeathsig") << QString::number(m_options.deathSignal);
    }
    args << QStringLiteral("--");
    for (const QByteArray &part : m_options.command) {
        args << QString::fromUtf8(part);
    }
    m_process.setProgram(m_options.podBinary);
    m_process.setArguments(args);
    // QProcess keeps the lifecycle; the streams are this object's own pipes, so that output is read
    // only when the client can take it (QProcess would read and buffer without a bound).
    m_process.setStandardInputFile(QProcess::nullDevice());
    m_process.setStandardOutputFile(QProcess::nullDevice());
    m_process.setStandardErrorFile(QProcess::nullDevice());
    m_process.setChildProcessModifier([childIn, childOut, childErr, childStatus] {
        ::dup2(childIn, 0);
        ::dup2(childOut, 1);
        ::dup2(childErr, 2);
        ::fcntl(childStatus, F_SETFD, 0); // podtap-sim-pod makes it close-on-exec again
    });
    connect(&m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        m_exited = true;
        // A process ended by a signal reports 128 + the signal, as container runtimes do.
        m_exitCode = status == QProcess::CrashExit ? 128 + code : code;
        m_termTimer.stop();
        m_killTimer.stop();
        closeStdinNow();
        maybeFinish();
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) {
            fail("start " + m_options.podBinary.toUtf8() + ": " + m_process.errorString().toUtf8());
        }
    });
    m_process.start();
    ::close(childIn);
    ::close(childOut);
    ::close(childErr);
    ::close(childStatus);

    m_stdout.notifier = std::make_unique<QSocketNotifier>(m_stdout.fd, QSocketNotifier::Read);
    connect(m_stdout.notifier.get(), &QSocketNotifier::activated, this, [this] { readOutput(1); });
    m_stderr.notifier = std::make_unique<QSocketNotifier>(m_stderr.fd, QSocketNotifier::Read);
    connect(m_stderr.notifier.get(), &QSocketNotifier::activated, this, [this] { readOutput(2); });
    m_stdinNotifier = std::make_unique<QSocketNotifier>(m_stdinFd, QSocketNotifier::Write);
    m_stdinNotifier->setEnabled(false);
    connect(m_stdinNotifier.get(), &QSocketNotifier::activated, this, &RigExecCommand::flushStdin);
    setOutputPaused(m_paused);
    if (m_stdinClosing) {
        closeStdinNow(); // closed before the pipe existed
    }
}

void RigExecCommand::readOutput(int channel)
{
    Pipe &pipe = channel == 1 ? m_stdout : m_stderr;
    if (pipe.fd < 0 || pipe.eof || m_paused) {
        return;
    }
    QByteArray buffer(readChunkBytes, Qt::Uninitialized);
    const ssize_t got = ::read(pipe.fd, buffer.data(), std::size_t(buffer.size()));
    if (got > 0) {
        buffer.truncate(got);
        Q_EMIT output(channel, buffer);
        return;
    }
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    pipe.eof = true;
    pipe.notifier.reset();
    closeFd(pipe.fd);
    maybeFinish();
}

void RigExecCommand::maybeFinish()
{
    // The end comes after the last output: the process exited and both pipes are drained.
    if (m_done || !m_exited || !m_stdout.eof || !m_stderr.eof) {
        return;
    }
    m_done = true;
    QByteArray error;
    if (m_statusFd >= 0) {
        char buffer[1024];
        const ssize_t got = ::read(m_statusFd, buffer, sizeof buffer);
        if (got > 0) {
            error = QByteArray(buffer, qsizetype(got));
        }
        closeFd(m_statusFd);
    }
    if (!error.isEmpty()) {
        // runc's wording around what podtap-sim-pod could not do.
        error = "failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to "
                "start container process: " +
            error + ": unknown";
    }
    Q_EMIT finished(ExecResult {error, error.isEmpty() ? m_exitCode : 0});
}

void RigExecCommand::writeStdin(const QByteArray &data)
{
    if (m_stdinFd < 0 || m_stdinClosing || data.isEmpty()) {
        return;
    }
    m_stdinBuffer.append(data);
    flushStdin();
}

void RigExecCommand::flushStdin()
{
    while (m_stdinFd >= 0 && !m_stdinBuffer.isEmpty()) {
        const ssize_t put = ::write(m_stdinFd, m_stdinBuffer.constData(), std::size_t(m_stdinBuffer.size()));
        if (put > 0) {
            m_stdinBuffer.remove(0, put);
            continue;
        }
        if (put < 0 && errno == EINTR) {
            continue;
        }
        if (put < 0 && errno == EAGAIN) {
            m_stdinNotifier->setEnabled(true);
            return;
        }
        // EPIPE: the command does not read its stdin any more.
        m_stdinBuffer.clear();
        closeStdinNow();
        break;
    }
    if (m_stdinNotifier) {
        m_stdinNotifier->setEnabled(false);
    }
    if (m_stdinClosing) {
        closeStdinNow();
    }
    Q_EMIT stdinDrained();
}

void RigExecCommand::closeStdin()
{
    m_stdinClosing = true;
    if (m_stdinBuffer.isEmpty()) {
        closeStdinNow();
    }
}

void RigExecCommand::closeStdinNow()
{
    m_stdinClosing = true;
    m_stdinNotifier.reset();
    closeFd(m_stdinFd);
}

void RigExecCommand::setOutputPaused(bool paused)
{
    m_paused = paused;
    for (Pipe *pipe : {&m_stdout, &m_stderr}) {
        if (pipe->notifier) {
            pipe->notifier->setEnabled(!paused);
        }
    }
}

void RigExecCommand::terminate()
{
    m_stdinBuffer.clear();
    closeStdinNow();
    if (!m_exited && m_process.state() != QProcess::NotRunning && !m_termTimer.isActive() && !m_killTimer.isActive()) {
        m_termTimer.start(terminateGraceMs);
    }
}

void RigExecCommand::signal(int signal)
{
    if (!m_exited && m_process.state() != QProcess::NotRunning && m_process.processId() > 0) {
        ::kill(pid_t(m_process.processId()), signal);
    }
}

} // namespace podtap::sim
