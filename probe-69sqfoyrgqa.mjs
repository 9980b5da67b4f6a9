const server = await import('@gatehouse-auth/server');
       const config = server.loadConfig({ port: 0, databaseUrl: 'sqlite::memory:' });
       let refused;
       try { server.loadConfig({ port: -1 }); } catch (error) { refused = error.name; }
       console.log(JSON.stringify({ exports: Object.keys(server).sort(), issuer: config.issuer, refused, resolved: import.meta.resolve('@gatehouse-auth/server') }));