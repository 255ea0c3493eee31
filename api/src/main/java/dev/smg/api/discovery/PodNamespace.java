package dev.smg.api.discovery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The namespace whose pods are watched when {@code --service-discovery-namespace} is not given:
 * the pod's own (the service account's namespace file, present in every pod that mounts a token),
 * else the current kubeconfig context's, else {@code default}. Routers normally find each other in
 * the namespace they run in, so that is the default that needs no configuration.
 */
public final class PodNamespace {
    /** Where the kubelet mounts the service account's namespace in every pod. */
    public static final Path SERVICE_ACCOUNT_FILE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

    private PodNamespace() {
    }

    /**
     * @param flag              {@code --service-discovery-namespace}, if given
     * @param serviceAccountFile the namespace file (a parameter so tests need no pod)
     * @param kubeconfigContext the client's configured namespace (kubeconfig context), may be null
     */
    public static String resolve(Optional<String> flag, Path serviceAccountFile, String kubeconfigContext) {
        if (flag.isPresent()) {
            return flag.get();
        }
        try {
            String own = Files.readString(serviceAccountFile, StandardCharsets.UTF_8).strip();
            if (KubernetesNames.isNamespace(own)) {
                return own;
            }
        } catch (IOException | SecurityException e) {
            // not in a pod (or no token mounted): fall through to the kubeconfig
        }
        if (kubeconfigContext != null && KubernetesNames.isNamespace(kubeconfigContext)) {
            return kubeconfigContext;
        }
        return "default";
    }
}
