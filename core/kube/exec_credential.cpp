// SPDX-License-Identifier: Apache-2.0
#include "kube/exec_credential.h"

#include "common/host_command.h"
#include "common/text_escape.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QProcess>
#include <QRegularExpression>
#include <QThread>

#include <memory>

namespace podtap::kube {

namespace {

QString searchPath(const QString &command, const QString &path)
{
    for (const QString &dir : path.split(QLatin1Char(':'), Qt::SkipEmptyParts)) {
        const QFileInfo candidate(QDir(dir).filePath(command));
        if (candidate.isFile() && candidate.isExecutable()) {
            return candidate.absoluteFilePath();
        }
    }
    return {};
}

QString hintSuffix(const ExecConfig &exec)
{
    return exec.installHint.isEmpty() ? QString() : QStringLiteral("\n%1").arg(exec.installHint.trimmed());
}

} // namespace

ExecCredentialProvider::ExecCredentialProvider(ExecConfig exec, RestConfig cluster, ExecCredentialOptions options)
    : m_exec(std::move(exec))
    , m_cluster(std::move(cluster))
    , m_options(std::move(options))
{
}

ExecCredentialResult ExecCredentialProvider::credential()
{
    if (m_cached && (!m_cached->expiration || QDateTime::currentDateTimeUtc() < *m_cached->expiration)) {
        return {m_cached, {}};
    }
    m_cached.reset();
    ExecCredentialResult result = run();
    if (result.credential) {
        m_cached = result.credential;
    }
    return result;
}

void ExecCredentialProvider::invalidate()
{
    m_cached.reset();
}

void ExecCredentialProvider::runAsync(QObject *context, std::function<void(const ExecCredentialResult &)> done) const
{
    // The worker gets its own copy of the plugin's description: the provider may be gone before it ends.
    auto worker = std::make_shared<const ExecCredentialProvider>(m_exec, m_cluster, m_options);
    auto result = std::make_shared<ExecCredentialResult>();
    QThread *thread = QThread::create([worker, result] { *result = worker->run(); });
    QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    // Queued to the context's thread; dropped when the context was destroyed meanwhile.
    QObject::connect(thread, &QThread::finished, context, [result, done = std::move(done)] { done(*result); });
    thread->start();
}

QByteArray ExecCredentialProvider::execInfoJson() const
{
    QJsonObject spec;
    spec.insert(QStringLiteral("interactive"), false);
    if (m_exec.provideClusterInfo) {
        QJsonObject cluster;
        cluster.insert(QStringLiteral("server"), m_cluster.server.toString());
        if (!m_cluster.tlsServerName.isEmpty()) {
            cluster.insert(QStringLiteral("tls-server-name"), m_cluster.tlsServerName);
        }
        if (m_cluster.insecureSkipTlsVerify) {
            cluster.insert(QStringLiteral("insecure-skip-tls-verify"), true);
        }
        if (!m_cluster.caPem.isEmpty()) {
            cluster.insert(
                QStringLiteral("certificate-authority-data"), QString::fromLatin1(m_cluster.caPem.toBase64()));
        }
        if (!m_cluster.proxyUrl.isEmpty()) {
            cluster.insert(QStringLiteral("proxy-url"), m_cluster.proxyUrl.toString());
        }
        if (m_cluster.disableCompression) {
            cluster.insert(QStringLiteral("disable-compression"), true);
        }
        if (!m_exec.clusterConfigJson.isEmpty()) {
            const QJsonDocument config = QJsonDocument::fromJson(m_exec.clusterConfigJson);
            cluster.insert(QStringLiteral("config"), config.isObject() ? QJsonValue(config.object()) : QJsonValue());
        }
        spec.insert(QStringLiteral("cluster"), cluster);
    }
    QJsonObject info;
    info.insert(QStringLiteral("kind"), QStringLiteral("ExecCredential"));
    info.insert(QStringLiteral("apiVersion"), m_exec.apiVersion);
    info.insert(QStringLiteral("spec"), spec);
    return QJsonDocument(info).toJson(QJsonDocument::Compact);
}

ExecCredentialResult ExecCredentialProvider::run() const
{
    ExecCredentialResult result;
    const QString who = QStringLiteral("exec credential plugin %1 of kubeconfig user %2")
                            .arg(quoteForMessage(m_exec.command, 200), quoteForMessage(m_cluster.userName));
    if (m_exec.interactiveMode == QLatin1String("Always")) {
        result.error = QStringLiteral("%1 needs a terminal (interactiveMode: Always), and podtap has none to give it. "
                                      "Log in with the plugin in a terminal first, or set interactiveMode to "
                                      "IfAvailable or Never.%2")
                           .arg(who, hintSuffix(m_exec));
        return result;
    }
    // Inside a Flatpak the plugin lives on the host, where the sandbox cannot look: the host finds it.
    const HostSandbox sandbox = currentSandbox();
    const QString program = sandbox == HostSandbox::Flatpak
        ? m_exec.command
        : findCommand(m_exec.command, m_options.environment, m_options.loginShellTimeoutMs);
    if (program.isEmpty()) {
        result.error = m_exec.command.contains(QLatin1Char('/'))
            ? QStringLiteral("%1: the file does not exist or is not executable.%2").arg(who, hintSuffix(m_exec))
            : QStringLiteral("%1: not found on PATH nor on your login shell's PATH; install it or give its full path "
                             "in the kubeconfig.%2")
                  .arg(who, hintSuffix(m_exec));
        return result;
    }
    QProcessEnvironment env = m_options.environment;
    for (const auto &[name, value] : m_exec.env) {
        env.insert(name, value);
    }
    env.insert(QStringLiteral("KUBERNETES_EXEC_INFO"), QString::fromUtf8(execInfoJson()));
    // On the host only the variables the kubeconfig sets (and the exec info) cross over: the rest name the sandbox.
    QList<QPair<QString, QString>> hostEnv;
    for (const auto &[name, value] : m_exec.env) {
        hostEnv.append({name, value});
    }
    hostEnv.append({QStringLiteral("KUBERNETES_EXEC_INFO"), env.value(QStringLiteral("KUBERNETES_EXEC_INFO"))});
    const HostCommand command = hostCommand(program, m_exec.args, hostEnv, sandbox);

    QProcess process;
    process.setProcessEnvironment(env);
    process.setProgram(command.program);
    process.setArguments(command.arguments);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start();
    if (!process.waitForStarted(m_options.timeoutMs)) {
        result.error = QStringLiteral("%1: cannot start %2: %3.%4")
                           .arg(who, program, process.errorString(), hostCommandHint(sandbox));
        return result;
    }
    if (!process.waitForFinished(m_options.timeoutMs)) {
        process.kill();
        process.waitForFinished(2000);
        result.error = QStringLiteral("%1 did not finish within %2 s and was stopped; check that it does not wait for "
                                      "input, then retry")
                           .arg(who)
                           .arg(m_options.timeoutMs / 1000.0);
        return result;
    }
    const QByteArray out = process.readAllStandardOutput();
    const QString err = redact(QString::fromUtf8(process.readAllStandardError()).trimmed());
    const QString errPart = err.isEmpty() ? QString() : QStringLiteral(": %1").arg(err.left(2000));
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        result.error = process.exitStatus() != QProcess::NormalExit ? QStringLiteral("%1 crashed%2").arg(who, errPart)
                                                                    : QStringLiteral("%1 exited with code %2%3%4")
                                                                          .arg(who)
                                                                          .arg(process.exitCode())
                                                                          .arg(errPart, hostCommandHint(sandbox));
        return result;
    }
    // The plugin's output is a credential: no part of it ever goes into an error.
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(out, &parseError);
    if (!doc.isObject()) {
        result.error = QStringLiteral("%1 printed something that is not an ExecCredential JSON object (%2)")
                           .arg(who, parseError.errorString());
        return result;
    }
    const QJsonObject root = doc.object();
    if (root.value(QStringLiteral("kind")).toString() != QLatin1String("ExecCredential")) {
        result.error = QStringLiteral("%1 printed an object whose kind is not ExecCredential").arg(who);
        return result;
    }
    const QString apiVersion = root.value(QStringLiteral("apiVersion")).toString();
    if (apiVersion != m_exec.apiVersion) {
        result.error = QStringLiteral("%1 is configured to use API version %2, but it returned version %3; fix "
                                      "exec.apiVersion in the kubeconfig")
                           .arg(who, m_exec.apiVersion, quoteForMessage(apiVersion));
        return result;
    }
    const QJsonObject status = root.value(QStringLiteral("status")).toObject();
    ExecCredential credential;
    credential.token = status.value(QStringLiteral("token")).toString();
    credential.clientCertificatePem = status.value(QStringLiteral("clientCertificateData")).toString().toUtf8();
    credential.clientKeyPem = status.value(QStringLiteral("clientKeyData")).toString().toUtf8();
    if (credential.clientCertificatePem.isEmpty() != credential.clientKeyPem.isEmpty()) {
        result.error = QStringLiteral("%1 returned a client certificate without its key (or a key without its "
                                      "certificate); both clientCertificateData and clientKeyData are needed")
                           .arg(who);
        return result;
    }
    if (credential.token.isEmpty() && credential.clientCertificatePem.isEmpty()) {
        result.error = QStringLiteral("%1 returned neither status.token nor status.clientCertificateData").arg(who);
        return result;
    }
    const QJsonValue expiration = status.value(QStringLiteral("expirationTimestamp"));
    if (!expiration.isUndefined() && !expiration.isNull()) {
        const QDateTime when = QDateTime::fromString(expiration.toString(), Qt::ISODateWithMs);
        if (!when.isValid()) {
            result.error = QStringLiteral("%1 returned status.expirationTimestamp %2, which is not an RFC 3339 time")
                               .arg(who, quoteForMessage(expiration.toString()));
            return result;
        }
        credential.expiration = when.toUTC();
    }
    result.credential = credential;
    return result;
}

QString ExecCredentialProvider::findCommand(
    const QString &command, const QProcessEnvironment &env, int loginShellTimeoutMs)
{
    if (command.isEmpty()) {
        return {};
    }
    if (command.contains(QLatin1Char('/'))) {
        const QFileInfo info(command);
        return info.isFile() && info.isExecutable() ? info.absoluteFilePath() : QString();
    }
    if (QString found = searchPath(command, env.value(QStringLiteral("PATH"))); !found.isEmpty()) {
        return found;
    }
    return searchPath(command, loginShellPath(env, loginShellTimeoutMs));
}

QString ExecCredentialProvider::loginShellPath(const QProcessEnvironment &env, int timeoutMs)
{
    static QMutex mutex;
    static QHash<QString, QString> cache;
    const QString shell = env.value(QStringLiteral("SHELL"));
    if (shell.isEmpty() || !QFileInfo(shell).isExecutable()) {
        return {};
    }
    const QMutexLocker locker(&mutex);
    if (const auto it = cache.constFind(shell); it != cache.cend()) {
        return it.value();
    }
    QProcess process;
    process.setProcessEnvironment(env);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(shell, {QStringLiteral("-l"), QStringLiteral("-c"), QStringLiteral("printf %s \"$PATH\"")});
    QString path;
    if (process.waitForStarted(timeoutMs) && process.waitForFinished(timeoutMs) &&
        process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0) {
        // A profile may print a banner before; PATH is what follows the last newline.
        const QString out = QString::fromLocal8Bit(process.readAllStandardOutput());
        path = out.mid(out.lastIndexOf(QLatin1Char('\n')) + 1).trimmed();
    } else {
        process.kill();
        process.waitForFinished(1000);
    }
    cache.insert(shell, path);
    return path;
}

QString ExecCredentialProvider::redact(const QString &text)
{
    static const QList<QRegularExpression> patterns {
        QRegularExpression(QStringLiteral("-----BEGIN [^-]+-----.*?-----END [^-]+-----"),
            QRegularExpression::DotMatchesEverythingOption),
        QRegularExpression(QStringLiteral(R"(eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)")),
        // A whole Authorization value: the scheme (Basic, Bearer, Negotiate, ...) and its credential.
        QRegularExpression(
            QStringLiteral(R"((?i)((?:proxy-)?authorization"?\s*[:=]\s*"?)(?:[A-Za-z][A-Za-z0-9_-]*\s+)?[^\s"',}]+)")),
        QRegularExpression(QStringLiteral(R"((?i)(bearer\s+)[^\s"',]+)")),
        QRegularExpression(QStringLiteral(
            R"((?i)((?:token|password|passwd|secret|key|credential|authorization)[A-Za-z_-]*"?\s*[:=]\s*"?)[^\s"',}]+)")),
    };
    QString out = text;
    out.replace(patterns[0], QStringLiteral("REDACTED"));
    out.replace(patterns[1], QStringLiteral("REDACTED"));
    out.replace(patterns[2], QStringLiteral("\\1REDACTED"));
    out.replace(patterns[3], QStringLiteral("\\1REDACTED"));
    out.replace(patterns[4], QStringLiteral("\\1REDACTED"));
    return out;
}

} // namespace podtap::kube
