// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/kubeconfig_document.h"
#include "kube/rest_config.h"

#include <QList>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <optional>

namespace podtap::kube {

/// @brief Where to look for kubeconfigs; every input is injectable so tests never touch the real ones.
struct KubeconfigLoadOptions
{
    QString explicitPath; ///< `--kubeconfig`: used alone; a missing file is an error
    /// Source of KUBECONFIG, KUBERNETES_SERVICE_HOST/PORT. Defaults to the process environment.
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    QString home; ///< empty: QDir::homePath(); `~/.kube/config` is the fallback file
    /// The service account folder of in-cluster config.
    QString inClusterRoot = QStringLiteral("/var/run/secrets/kubernetes.io/serviceaccount");
    /// Fall back to in-cluster config when no kubeconfig file exists (client-go does).
    bool allowInCluster = true;
};

/// @brief One context of the merged configuration: its resolved RestConfig, or why it is unusable.
struct KubeconfigContext
{
    QString name;
    QString cluster;
    QString user;
    QString namespaceName; ///< `default` when the context sets none
    std::optional<RestConfig> config; ///< set exactly when error is empty
    QString error; ///< names the file, the entry and the field; never contains a secret
};

/// @brief The kubeconfig files chosen with client-go's rules, merged, with every context resolved.
///
/// Files: `explicitPath` alone; else KUBECONFIG (`:`-separated, duplicates dropped, missing files
/// skipped); else `~/.kube/config`. When a name is defined in several files the first file wins
/// the whole entry, and the first non-empty current-context wins. Relative paths resolve against
/// the folder of the file that defined them; `*-data` is base64. A broken entry makes only the
/// contexts using it fail. When no file exists and KUBERNETES_SERVICE_HOST/PORT are set, the
/// in-cluster service account becomes a context named `in-cluster`.
struct Kubeconfig
{
    QStringList files; ///< files read, in precedence order (absolute)
    QString currentContext;
    QList<KubeconfigContext> contexts; ///< sorted by name
    QStringList fileErrors; ///< files that could not be read or parsed at all
    KubeconfigDocument merged; ///< what `config view` prints
    bool inCluster = false;

    static Kubeconfig load(const KubeconfigLoadOptions &options = {});
    /// The files @p options selects, before any is read (missing KUBECONFIG entries dropped).
    static QStringList selectFiles(const KubeconfigLoadOptions &options);
    /// The in-cluster context, or an error when not in a pod.
    static KubeconfigContext inClusterContext(const KubeconfigLoadOptions &options);

    const KubeconfigContext *context(const QString &name) const;
    /// current-context's entry, or nullptr.
    const KubeconfigContext *current() const { return context(currentContext); }

    /// Resolves one context of @p merged (exposed for tests).
    static KubeconfigContext resolve(const KubeconfigDocument &merged, const QString &contextName);
};

} // namespace podtap::kube
