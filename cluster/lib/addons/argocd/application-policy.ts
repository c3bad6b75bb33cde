/**
 * Admission, not only Argo CD projects, decides which project an Application may name: a ValidatingAdmissionPolicy
 * (GA since Kubernetes 1.30) lets every Application in the Argo CD namespace name the service's project, except the root
 * Application itself, which must stay in the root project. So an Application merged into argocd/ that names the root
 * project (to create more Applications) or any other project is refused by the API server, whoever applies it.
 */
export interface ApplicationProjectPolicyProps {
  readonly argocdNamespace: string;
  readonly rootApplicationName: string;
  readonly rootProjectName: string;
  readonly serviceProjectName: string;
}

const quote = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

export function applicationProjectPolicy(props: ApplicationProjectPolicyProps): Record<string, unknown>[] {
  const name = 'argocd-application-projects';
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.argocdNamespace } },
          resourceRules: [
            {
              apiGroups: ['argoproj.io'],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['applications'],
            },
          ],
        },
        validations: [
          {
            expression:
              `object.metadata.name == ${quote(props.rootApplicationName)} ` +
              `? object.spec.project == ${quote(props.rootProjectName)} ` +
              `: object.spec.project == ${quote(props.serviceProjectName)}`,
            message:
              `Applications in ${props.argocdNamespace} belong to the project ${props.serviceProjectName} ` +
              `(only ${props.rootApplicationName} is in ${props.rootProjectName})`,
            reason: 'Forbidden',
          },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: { policyName: name, validationActions: ['Deny'] },
    },
  ];
}
