// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/kubeconfig.h"

#include <QString>

#include <memory>

namespace podtap::kube {

class KubeClient;

/// @brief The result of connecting to one context: a ready client, or why there is none.
struct ClusterConnection
{
    std::unique_ptr<KubeClient> client; ///< null when error is set
    QString contextName;
    QString namespaceName; ///< the context's namespace (`default` when it sets none)
    QString error; ///< names the kubeconfig, the context and the fix; never a secret
    Kubeconfig kubeconfig;

    ClusterConnection();
    ClusterConnection(ClusterConnection &&) noexcept;
    ClusterConnection &operator=(ClusterConnection &&) noexcept;
    ~ClusterConnection();
};

/// Loads the kubeconfig (kubectl's file rules), picks @p contextName or the current context, and
/// builds a KubeClient for it, with exec credential plugins wired in. Used by podtapctl and the console.
ClusterConnection connectToCluster(const QString &kubeconfigPath, const QString &contextName);

/// A client for one resolved context of a kubeconfig, exec credential plugins wired in (run off
/// the calling thread). connectToCluster and ClusterSession build every client through it.
std::unique_ptr<KubeClient> clientForContext(const KubeconfigContext &context);

} // namespace podtap::kube
