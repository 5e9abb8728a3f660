// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"

#include <QDir>
#include <QProcess>
#include <QTest>

namespace podtap::test {

QString ProcessResult::describe(const QStringList &command) const
{
    QString what = timedOut ? QStringLiteral("timed out")
        : crashed           ? QStringLiteral("crashed")
                            : QStringLiteral("exited %1").arg(exitCode);
    return QStringLiteral("`%1` %2; stderr: %3; stdout: %4")
        .arg(
            command.join(QLatin1Char(' ')), what, QString::fromUtf8(err.left(4000)), QString::fromUtf8(out.left(2000)));
}

ProcessResult run(
    const QStringList &command, int timeoutMs, const QByteArray &input, const QProcessEnvironment &environment)
{
    ProcessResult result;
    if (command.isEmpty()) {
        return result;
    }
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(command.first(), command.mid(1));
    if (!process.waitForStarted(10000)) {
        result.err = process.errorString().toUtf8();
        return result;
    }
    if (!input.isEmpty()) {
        process.write(input);
    }
    process.closeWriteChannel();
    if (!process.waitForFinished(timeoutMs)) {
        result.timedOut = true;
        process.kill();
        process.waitForFinished(5000);
    }
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    result.crashed = process.exitStatus() == QProcess::CrashExit;
    result.exitCode = process.exitCode();
    return result;
}

QByteArray mustRun(const QStringList &command, int timeoutMs)
{
    const ProcessResult result = run(command, timeoutMs);
    if (!result.ok()) {
        QTest::qFail(qPrintable(result.describe(command)), __FILE__, __LINE__);
    }
    return result.out;
}

QString builtExecutable(const QString &relative)
{
    const QString root = qEnvironmentVariable("PODTAP_BUILD_DIR");
    return QDir(root.isEmpty() ? QDir::currentPath() : root).filePath(relative);
}

} // namespace podtap::test
