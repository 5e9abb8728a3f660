// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/rest_config.h"

#include <QProcessEnvironment>
#include <QString>

class QObject;

#include <functional>
#include <optional>

namespace podtap::kube {

/// @brief Tunables of ExecCredentialProvider; the defaults suit the console and podtapctl.
struct ExecCredentialOptions
{
    /// The environment the plugin inherits (then `env` of the kubeconfig and KUBERNETES_EXEC_INFO).
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    int timeoutMs = 60000; ///< one plugin run; a login page in a browser can take a while
    int loginShellTimeoutMs = 5000; ///< the one `$SHELL -l` run that reads the terminal's PATH
};

/// @brief A credential from an exec plugin, or the reason there is none (never containing a secret).
struct ExecCredentialResult
{
    std::optional<ExecCredential> credential;
    QString error;
};

/// @brief Runs a kubeconfig's exec credential plugin (client.authentication.k8s.io v1 and v1beta1)
/// and caches what it returns until `status.expirationTimestamp`.
///
/// The plugin runs without a shell, with the environment merged with the plugin's `env` and
/// KUBERNETES_EXEC_INFO set. podtap has no terminal to lend it, so `spec.interactive` is false and
/// `interactiveMode: Always` is an error. A command without a slash is looked up on PATH and then
/// on the login shell's PATH (a desktop app started from a menu lacks the terminal's PATH).
///
/// credential() is synchronous: it blocks the calling thread for at most `timeoutMs` when it has
/// to run the plugin, and returns at once from the cache. On a 401 call invalidate() and then
/// credential() once more. A GUI or any event loop uses runAsync() instead, which runs the plugin
/// (and the login-shell PATH lookup) on a worker thread.
class ExecCredentialProvider final
{
public:
    /// @p cluster (the context's RestConfig) supplies spec.cluster when `provideClusterInfo` is
    /// set, and its userName names the kubeconfig user in errors.
    ExecCredentialProvider(ExecConfig exec, RestConfig cluster, ExecCredentialOptions options = {});

    ExecCredentialResult credential();
    /// Runs the plugin on a worker thread, never blocking the caller, and calls @p done with the
    /// result in @p context's thread (not at all if @p context is gone by then). No caching: the
    /// caller keeps the credential (KubeClient does, until it expires or gets a 401).
    void runAsync(QObject *context, std::function<void(const ExecCredentialResult &)> done) const;
    /// Forgets the cached credential so the next credential() runs the plugin again.
    void invalidate();

    /// The KUBERNETES_EXEC_INFO the plugin receives.
    QByteArray execInfoJson() const;

    /// Absolute path of @p command: as given when it has a slash, else found on the PATH of
    /// @p env or of the login shell. Empty when not found.
    static QString findCommand(const QString &command, const QProcessEnvironment &env, int loginShellTimeoutMs = 5000);
    /// PATH as `$SHELL -l` sets it, read once per shell and cached; empty on failure.
    static QString loginShellPath(const QProcessEnvironment &env, int timeoutMs = 5000);
    /// @p text with bearer tokens, JWTs, PEM blocks, whole Authorization values (any scheme) and
    /// `token=`/`password:` values replaced by REDACTED.
    static QString redact(const QString &text);

private:
    ExecCredentialResult run() const;

    ExecConfig m_exec;
    RestConfig m_cluster;
    ExecCredentialOptions m_options;
    std::optional<ExecCredential> m_cached;
};

} // namespace podtap::kube
