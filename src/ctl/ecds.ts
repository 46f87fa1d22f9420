// `proxy-config ecds`: the extension configs a proxy got over ECDS (EcdsConfigDump),
// as ECDS NAME and TYPE (the short type of the typed config), or -o json|yaml.
import { list, obj, str, type Json } from './fields.js';
import { camelCaseMessage } from './output.js';
import { formatTable } from './table.js';

export function formatEcds(section: Json): string {
  const rows = list(section, 'ecds_filters').map((f) => {
    const config = obj(f, 'ecds_filter');
    const type = str(config, 'typed_config', '@type');
    return [str(config, 'name'), type.slice(type.lastIndexOf('/') + 1)];
  });
  return formatTable([['ECDS NAME', 'TYPE'], ...rows]);
}

export function ecdsJson(section: Json): unknown {
  const { '@type': _t, ...rest } = section;
  return camelCaseMessage('envoy.admin.v3.EcdsConfigDump', rest);
}
