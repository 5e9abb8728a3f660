// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace podtap::test {

/// @brief What a finished child process left behind.
struct ProcessResult
{
    int exitCode = -1;
    bool crashed = false;
    bool timedOut = false;
    QByteArray out;
    QByteArray err;

    bool ok() const { return !crashed && !timedOut && exitCode == 0; }
    /// One line for a failure message: the command, the exit and stderr.
    QString describe(const QStringList &command) const;
};

/// Runs @p command (no shell) with @p input on stdin and waits at most @p timeoutMs, in @p environment
/// (default: this process's).
ProcessResult run(const QStringList &command, int timeoutMs = 30000, const QByteArray &input = {},
    const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());

/// Runs @p command and fails the current test when it does not exit 0.
QByteArray mustRun(const QStringList &command, int timeoutMs = 30000);

/// Path of a built executable: $PODTAP_BUILD_DIR/<relative>.
QString builtExecutable(const QString &relative);

} // namespace podtap::test
