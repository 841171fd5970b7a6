/**
 * Risk-parameter versions (issue 19, item 7): every ADMIN write that changes a risk parameter records the whole
 * parameter set after it, in the write's own transaction (so the version and the change commit or roll back
 * together), next to the write's audit event (same request id). AccountRisk.parametersVersion names the latest
 * version its snapshot saw; riskParameterVersion(id) gives that set back.
 */
import { insertParameterVersion } from '../store/parameter-version.repository';
import type { WriteScope } from './write';

/** Records the parameter set after this write; returns the new version id. */
export function recordParameterVersion(scope: WriteScope, action: string): Promise<string> {
  return insertParameterVersion(scope.tx, { action, requestId: scope.requestId, apiKeyId: scope.principal.apiKeyId });
}
