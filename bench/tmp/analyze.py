import json,sys,collections,re
for f in sys.argv[1:]:
    p=json.load(open(f))
    nodes={n['id']:n for n in p['nodes']}
    dt=collections.Counter()
    samples=p['samples']; deltas=p['timeDeltas']
    for s,d in zip(samples,deltas): dt[s]+=d
    total=sum(dt.values())/1000
    byfn=collections.Counter(); byurl=collections.Counter()
    for nid,t in dt.items():
        cf=nodes[nid]['callFrame']; url=cf['url']
        m=re.search(r'node_modules/((@[^/]+/)?[^/]+)',url)
        key=m.group(1) if m else (url.split('/')[-1] if url else '('+cf['functionName']+')')
        byurl[key]+=t/1000
        byfn[(cf['functionName'] or '(anon)')+' '+url.split('/')[-1]+':'+str(cf['lineNumber'])]+=t/1000
    print('==',f.split('/')[-1],'total ms',round(total))
    for k,v in byurl.most_common(14): print('  %-50s %8.0f'%(k,v))
    print('  -- top functions')
    for k,v in byfn.most_common(14): print('  %-70s %8.0f'%(k[:70],v))
